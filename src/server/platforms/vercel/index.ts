import { serverPlatform } from '../adapter';
import { vercelAdapter } from './adapter';
import { VERCEL_DEPLOYMENT_POLLING } from './readiness';
import { vercelSettings } from './settings';
import { vercelStaticFiles } from './static-files';

export const vercelServer = serverPlatform({
  adapter: vercelAdapter,
  staticFiles: vercelStaticFiles,
  settings: vercelSettings,
  polling: VERCEL_DEPLOYMENT_POLLING,
});
