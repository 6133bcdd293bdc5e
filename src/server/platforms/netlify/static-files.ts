// What Netlify runs or reads as configuration in a digest deploy of files. A digest deploy does not
// build: functions run only when they are sent in the deploy's `functions` map (which we never send),
// so files under netlify/functions and netlify/edge-functions are served as plain files. But Netlify
// reads a `netlify.toml` among the files (netlify/cli src/utils/deploy/hash-config.ts uploads the
// config as the file `netlify.toml`), and runs the edge functions the CLI uploads as ordinary files
// under `.netlify/internal/edge-functions/` with their manifest (src/utils/deploy/process-files.ts,
// src/lib/edge-functions/consts.ts), next to `.netlify/deploy-config/`. Docs:
// https://docs.netlify.com/configure-builds/file-based-configuration/,
// https://docs.netlify.com/edge-functions/declarations/.
import type { Manifest } from '@/lib/site-files';
import type { ServerSideFile, StaticFilesRules } from '../adapter';

const PLAIN_FUNCTION_FILE =
  'Netlify serves it as a plain file: a deploy of files does not bundle or run functions (deploy with the Netlify CLI or a build to run it)';

export const netlifyStaticFiles: StaticFilesRules = {
  redirectsProxy: "Netlify fetches that site's pages and serves them as this site's",

  async serverSideFiles(manifest: Manifest) {
    const found: ServerSideFile[] = [];
    for (const path of Object.keys(manifest).sort()) {
      if (path === 'netlify.toml')
        found.push({
          where: path,
          effect: "Netlify reads it as the site's configuration (redirects and proxies to other sites, headers, edge function routes)",
          refused: true,
        });
      else if (path.startsWith('netlify/functions/') || path.startsWith('netlify/edge-functions/'))
        found.push({ where: path, effect: PLAIN_FUNCTION_FILE, refused: true });
      else if (path.startsWith('.netlify/'))
        found.push({
          where: path,
          effect: 'Netlify reads .netlify/ as its own (the Netlify CLI uploads edge functions and deploy configuration there)',
          refused: true,
        });
    }
    return found;
  },
};
