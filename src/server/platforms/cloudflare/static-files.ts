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
/** Never assets: wrangler's own patterns, `/.assetsignore`, `/_redirects` and `/_headers`. */
const DEFAULT_IGNORED = [ASSETS_IGNORE, '_redirects', '_headers'];

/** Whether a path is ignored under the default patterns and these lines of `.assetsignore`. */
function ignoredBy(lines: string[]): (path: string) => boolean {
  const ignorer = ignore().add([...DEFAULT_IGNORED.map((name) => `/${name}`), ...lines]);
  return (path) => {
    try {
      return ignorer.ignores(path);
    } catch {
      // A name the library refuses as not relative (`...`): it cannot match a pattern.
      return false;
    }
  };
}

/**
 * The default patterns alone, as the library reads them: each is anchored at the root and names a
 * file or a folder there, in any case (the library ignores case by default, as wrangler uses it), so
 * a path is ignored when its first segment is one of those names. Asked of every path of a
 * 5,000-file site, this is a few milliseconds where the library took 10–25.
 */
function ignoredByDefault(path: string): boolean {
  const slash = path.indexOf('/');
  return DEFAULT_IGNORED.includes((slash < 0 ? path : path.slice(0, slash)).toLowerCase());
}
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
    const ignores = present ? ignoredBy((await readText(ASSETS_IGNORE)).split('\n')) : ignoredByDefault;
    const leftOut = Object.keys(manifest).filter((path) => ignores(path) && !ROUTING_FILES.has(path));
    // Most sites leave nothing out: the manifest itself, not a copy of its 5,000 entries.
    if (leftOut.length === 0) return { manifest, notes: [] };
    const out = new Set(leftOut);
    // Own properties, not assigned ones: a file may be named `__proto__`.
    const kept: Manifest = Object.fromEntries(Object.entries(manifest).filter(([path]) => !out.has(path)));
    const dropped = leftOut.filter((path) => path !== ASSETS_IGNORE);
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
