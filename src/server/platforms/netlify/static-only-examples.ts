// Sites a quick deploy to this platform must refuse (its own server code and configuration files), and
// ones it must accept: test data for checkStaticOnly's tests (src/testing/static-only-examples.ts
// gathers every platform's). Each site gets an index.html there.
import type { PlatformStaticOnlyExamples } from '@/testing/static-only-examples';

export const staticOnlyExamples: PlatformStaticOnlyExamples = {
  hostile: [
    {
      name: 'netlify-toml',
      files: { 'netlify.toml': '[[redirects]]\nfrom = "/*"\nto = "https://evil.example/:splat"\nstatus = 200\n' },
      proves: 'netlify.toml (configuration Netlify reads from a deploy) is refused',
      names: 'netlify.toml',
    },
    {
      name: 'netlify-functions',
      files: { 'netlify/functions/hello.js': 'export default () => new Response("x")' },
      proves: 'netlify/functions files are refused',
      names: 'netlify/functions/hello.js',
    },
    {
      name: 'netlify-edge-functions',
      files: { 'netlify/edge-functions/geo.ts': 'export default () => new Response("x")' },
      proves: 'netlify/edge-functions files are refused',
      names: 'netlify/edge-functions/geo.ts',
    },
    {
      name: 'netlify-internal-edge-functions',
      files: { '.netlify/internal/edge-functions/manifest.json': '{"bundles":[]}' },
      proves: 'edge functions uploaded the way the Netlify CLI does (.netlify/internal) are refused',
      names: '.netlify/internal/edge-functions/manifest.json',
    },
  ],
  benign: [
    {
      name: 'netlify-look-alike',
      files: { 'netlify-logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>', 'docs/netlify.toml.txt': 'notes' },
      proves: 'files that only look like Netlify configuration are accepted',
    },
  ],
};
