import { serverPlatform } from '../adapter';
import { cloudflareAdapter, CLOUDFLARE_POLLING } from './adapter';
import { cloudflareSettings } from './settings';
import { cloudflareStaticFiles } from './static-files';

export const cloudflareServer = serverPlatform({
  adapter: cloudflareAdapter,
  staticFiles: cloudflareStaticFiles,
  settings: cloudflareSettings,
  polling: CLOUDFLARE_POLLING,
});
