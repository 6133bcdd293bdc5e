// What Amplify Hosting does with files of a manual (zip) deployment: it serves them, nothing more.
// "Amplify Hosting does not support manual deploys for server-side rendered (SSR) apps"
// (https://docs.aws.amazon.com/amplify/latest/userguide/manual-deploys.html); the SSR deployment
// specification (`.amplify-hosting/` with `deploy-manifest.json` and `compute/`) is the output of a
// build (https://docs.aws.amazon.com/amplify/latest/userguide/ssr-deployment-specification.html), and
// the build spec `amplify.yml` is read only by builds from a connected repository. So nothing here is
// refused; such files are only named in the log. `_redirects` becomes custom rules of an app made for
// the site (site-rules.ts); the shared quick-deploy app keeps none, but its lines are held to the same
// rules everywhere so that a site deploys the same on every platform.
import type { Manifest } from '@/lib/site-files';
import type { ServerSideFile, StaticFilesRules } from '../adapter';

const PLAIN = 'Amplify serves it as a plain file: manual deploys do not build or run server code';

export const amplifyStaticFiles: StaticFilesRules = {
  redirectsProxy: "Amplify fetches that site's pages and serves them as this site's (a rewrite rule of an app made for the site)",

  async serverSideFiles(manifest: Manifest) {
    const found: ServerSideFile[] = [];
    for (const path of Object.keys(manifest).sort()) {
      if (path === 'amplify.yml' || path === 'deploy-manifest.json' || path.startsWith('.amplify-hosting/'))
        found.push({ where: path, effect: PLAIN, refused: false });
    }
    return found;
  },
};
