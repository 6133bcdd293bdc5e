// What Vercel runs or reads as configuration in an upload of files. Read from Vercel's own builder
// detection (vercel/vercel packages/fs-detectors/src/detect-builders.ts: `api/**` by runtime, root
// `middleware.[jt]s`, package.json build scripts, vercel.json `builds`/`functions`/`proxy`), the config
// loader (packages/cli/src/util/compile-vercel-config.ts: vercel.json, vercel.toml, vercel.{ts,mts,js,
// mjs,cjs}, now.json) and the docs: https://vercel.com/docs/functions (files in /api),
// https://vercel.com/docs/routing-middleware/api (middleware.ts at the root runs with any framework),
// https://vercel.com/docs/build-output-api/v3/primitives (.vercel/output: functions, routes, middleware).
import type { Manifest } from '@/lib/site-files';
import type { ServerSideFile, StaticFilesRules } from '../adapter';

/** The runtimes Vercel picks for `api/` files by extension (getApiMatches in detect-builders.ts). */
const FUNCTION_FILE = /\.(js|mjs|ts|tsx|go|py|rb|rs)$/;
const CONFIG_FILE = /^(vercel\.(json|toml|ts|mts|js|mjs|cjs)|now\.json)$/;
const MIDDLEWARE_FILE = /^middleware\.[cm]?[jt]sx?$/;
/** Scripts a package manager or Vercel's build would run: install lifecycle hooks and build commands. */
const RUN_SCRIPTS = [
  'build',
  'prebuild',
  'postbuild',
  'vercel-build',
  'now-build',
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
];

/** An `api/` file Vercel turns into a function (files under `_…`, `.…` or node_modules are left out). */
function isFunction(path: string): boolean {
  return FUNCTION_FILE.test(path) && !path.endsWith('.d.ts') && !/\/[._]/.test(path) && !path.includes('/node_modules/');
}

async function packageScripts(readText: (path: string) => Promise<string>): Promise<string[] | 'unreadable'> {
  try {
    const pkg: unknown = JSON.parse(await readText('package.json'));
    if (!pkg || typeof pkg !== 'object' || Array.isArray(pkg)) return 'unreadable';
    const scripts = (pkg as { scripts?: unknown }).scripts;
    if (scripts === undefined) return [];
    if (!scripts || typeof scripts !== 'object') return 'unreadable';
    return RUN_SCRIPTS.filter((name) => Object.hasOwn(scripts, name));
  } catch {
    return 'unreadable';
  }
}

export const vercelStaticFiles: StaticFilesRules = {
  redirectsProxy: "Vercel fetches that site's pages and serves them as this site's (an external rewrite)",

  async serverSideFiles(manifest: Manifest, readText) {
    const found: ServerSideFile[] = [];
    for (const path of Object.keys(manifest).sort()) {
      if (path.startsWith('api/'))
        found.push({
          where: path,
          effect: isFunction(path)
            ? 'Vercel runs it as a serverless function'
            : 'Vercel keeps api/ for serverless functions (it is bundled with them, not served)',
          refused: true,
        });
      else if (MIDDLEWARE_FILE.test(path))
        found.push({
          where: path,
          effect: /^middleware\.[jt]s$/.test(path)
            ? 'Vercel runs it as Routing Middleware before every request'
            : 'a Vercel middleware file (Vercel runs middleware.js and middleware.ts before every request)',
          refused: true,
        });
      else if (CONFIG_FILE.test(path))
        found.push({ where: path, effect: "Vercel reads it as the project's configuration (builds, functions, rewrites to other sites)", refused: true });
      else if (path.startsWith('.vercel/'))
        found.push({
          where: path,
          effect: 'Vercel reads .vercel/ as its own (.vercel/output is the Build Output API: functions, middleware and routes)',
          refused: true,
        });
      else if (path.startsWith('.vercel_build_output/'))
        found.push({ where: path, effect: 'Vercel reads .vercel_build_output/ as build output (functions and routes)', refused: true });
      else if (path === 'package.json') {
        const scripts = await packageScripts(readText);
        if (scripts === 'unreadable')
          found.push({ where: path, effect: 'it is not a valid package.json (JSON with an object of scripts), so Vercel cannot read it', refused: true });
        else if (scripts.length > 0)
          found.push({
            where: path,
            effect: `its scripts ${scripts.join(', ')} are Vercel's install and build steps (this deployment turns both off: deploy the built site, not its sources)`,
            refused: true,
          });
      }
    }
    return found;
  },
};
