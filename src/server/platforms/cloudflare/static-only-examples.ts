// Sites a quick deploy to this platform must refuse (its own server code and configuration files), and
// ones it must accept: test data for checkStaticOnly's tests (src/testing/static-only-examples.ts
// gathers every platform's). Each site gets an index.html there.
import type { PlatformStaticOnlyExamples } from '@/testing/static-only-examples';

export const staticOnlyExamples: PlatformStaticOnlyExamples = {
  hostile: [
    {
      name: 'cloudflare-worker-file',
      files: { '_worker.js': 'export default { fetch() { return new Response("x") } }' },
      proves: 'a _worker.js without .assetsignore is refused (wrangler refuses it too)',
      names: '_worker.js',
    },
    {
      name: 'cloudflare-worker-folder',
      files: { '_worker.js/index.js': 'export default {}' },
      proves: 'a _worker.js/ folder is refused',
      names: '_worker.js/index.js',
    },
    {
      name: 'cloudflare-worker-not-ignored',
      files: { '_worker.js': 'export default {}', '.assetsignore': '*.map\n' },
      proves: 'an .assetsignore that does not exclude _worker.js does not make it acceptable',
      names: '_worker.js',
    },
    {
      name: 'cloudflare-worker-reincluded',
      files: { '_worker.js': 'export default {}', '.assetsignore': '_worker*\n!_worker.js\n' },
      proves: 'a negation that re-includes _worker.js is honoured as wrangler does, and refused',
      names: '_worker.js',
    },
    {
      name: 'cloudflare-worker-map',
      files: { '_worker.js.map': '{}' },
      proves: 'any path starting with _worker.js is refused, as wrangler matches it',
      names: '_worker.js.map',
    },
  ],
  benign: [
    {
      name: 'cloudflare-worker-ignored',
      files: { '_worker.js': 'export default {}', '_worker.js.map': '{}', '.assetsignore': '_worker.js*\n' },
      proves: 'a _worker.js that .assetsignore excludes is accepted and left out of the upload',
    },
    {
      name: 'cloudflare-routes-json',
      files: { '_routes.json': '{"version":1,"include":["/*"],"exclude":[]}' },
      proves: 'a Pages _routes.json is accepted (Workers do not read it)',
    },
  ],
};
