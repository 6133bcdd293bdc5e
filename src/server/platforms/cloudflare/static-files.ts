// What wrangler does with a folder of assets before it uploads them, done the same way here
// (cloudflare/workers-sdk packages/workers-shared/utils/helpers.ts createAssetsIgnoreFunction and
// packages/deploy-helpers/src/deploy/helpers/assets.ts buildAssetManifest): `.assetsignore` at the root
// holds gitignore patterns, read with the `ignore` library wrangler uses, one pattern a line of the
// file split on "\n", plus `/.assetsignore`, `/_redirects` and `/_headers`, which are never assets
// (the last two are sent as routing configuration). A `_worker.js` file or `_worker.js/` folder left
// after that is a Pages Worker that Workers Static Assets would serve as a public file: wrangler
// refuses it unless an `.assetsignore` exists (errorOnLegacyPagesWorkerJSAsset, which matches any
// path starting with `_worker.js`). `_routes.json` is a Pages file that Workers Static Assets does not
// read (https://developers.cloudflare.com/workers/static-assets/).
import ignore from 'ignore';
import type { Manifest } from '@/lib/site-files';
import type { ServerSideFile, StaticFilesRules } from '../adapter';

const ASSETS_IGNORE = '.assetsignore';
/** Matched by wrangler's default patterns but read by name as routing configuration, so kept in the manifest. */
const ROUTING_FILES = new Set(['_redirects', '_headers']);
const LISTED = 10;

function list(paths: string[]): string {
  const shown = paths.slice(0, LISTED).join(', ');
  return paths.length > LISTED ? `${shown} and ${paths.length - LISTED} more` : shown;
}

export const cloudflareStaticFiles: StaticFilesRules = {
  redirectsProxy: 'Cloudflare ignores it (Workers proxy only to paths of the site)',

  async dropIgnored(manifest: Manifest, readText) {
    const present = ASSETS_IGNORE in manifest;
    const patterns = [`/${ASSETS_IGNORE}`, '/_redirects', '/_headers', ...(present ? (await readText(ASSETS_IGNORE)).split('\n') : [])];
    const ignorer = ignore().add(patterns);
    const kept: Manifest = {};
    const dropped: string[] = [];
    for (const [path, entry] of Object.entries(manifest)) {
      let ignored: boolean;
      try {
        ignored = ignorer.ignores(path);
      } catch {
        // A name the library refuses as not relative (`...`): it cannot match a pattern.
        ignored = false;
      }
      if (ignored && !ROUTING_FILES.has(path)) {
        if (path !== ASSETS_IGNORE) dropped.push(path);
      } else kept[path] = entry;
    }
    const notes =
      dropped.length > 0 ? [`.assetsignore kept ${dropped.length} file${dropped.length === 1 ? '' : 's'} out of the upload: ${list(dropped.sort())}`] : [];
    return { manifest: kept, notes };
  },

  async serverSideFiles(manifest: Manifest) {
    const found: ServerSideFile[] = Object.keys(manifest)
      .filter((p) => p.startsWith('_worker.js'))
      .sort()
      .map((where) => ({
        where,
        effect:
          'Cloudflare serves it as a public file, so anyone could read the server code (Workers Static Assets never runs a Pages _worker.js; list it in .assetsignore to keep it out)',
        refused: true,
      }));
    if (manifest['_routes.json'])
      found.push({ where: '_routes.json', effect: 'Cloudflare Workers do not read it (a Pages file): it is served as a plain file', refused: false });
    return found;
  },
};
