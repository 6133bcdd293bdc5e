// Sites a quick deploy to this platform must refuse (its own server code and configuration files), and
// ones it must accept: test data for checkStaticOnly's tests (src/testing/static-only-examples.ts
// gathers every platform's). Each site gets an index.html there.
import type { PlatformStaticOnlyExamples } from '@/testing/static-only-examples';

export const staticOnlyExamples: PlatformStaticOnlyExamples = {
  hostile: [],
  benign: [
    {
      name: 'amplify-build-files',
      files: { 'amplify.yml': 'version: 1\n', '.amplify-hosting/deploy-manifest.json': '{"version":1}' },
      proves: 'Amplify build files are accepted: a manual deploy does not build or run them',
    },
  ],
};
