import { serverPlatform } from '../adapter';
import { netlifyAdapter } from './adapter';
import { NETLIFY_DEPLOY_POLLING } from './deploy-wait';
import { netlifySettings } from './settings';
import { netlifyStaticFiles } from './static-files';

export const netlifyServer = serverPlatform({
  adapter: netlifyAdapter,
  staticFiles: netlifyStaticFiles,
  settings: netlifySettings,
  polling: NETLIFY_DEPLOY_POLLING,
});
