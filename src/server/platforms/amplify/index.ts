import { serverPlatform } from '../adapter';
import { amplifyAdapter } from './adapter';
import { AMPLIFY_JOB_POLLING } from './job-wait';
import { amplifySettings } from './settings';
import { amplifyStaticFiles } from './static-files';

export const amplifyServer = serverPlatform({
  adapter: amplifyAdapter,
  staticFiles: amplifyStaticFiles,
  settings: amplifySettings,
  polling: AMPLIFY_JOB_POLLING,
});
