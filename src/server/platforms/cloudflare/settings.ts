import { LOCAL_CLOUDFLARE } from '@/lib/platforms/cloudflare/local';
import { platformSettings } from '../settings';

export const cloudflareSettings = platformSettings(({ read, production, localCloud, cloudPort, dev, fail }) => {
  const compatibilityDate = read('CLOUDFLARE_COMPATIBILITY_DATE');
  if (compatibilityDate && !(/^\d{4}-\d{2}-\d{2}$/.test(compatibilityDate) && !Number.isNaN(Date.parse(compatibilityDate))))
    fail('CLOUDFLARE_COMPATIBILITY_DATE', 'is not a date', "Use YYYY-MM-DD, e.g. 2026-01-31, or leave it empty for today's date.");
  return {
    apiBaseUrl: read('CLOUDFLARE_API_BASE_URL') ?? (production ? 'https://api.cloudflare.com/client/v4' : `${localCloud}/client/v4`),
    apiToken: read('CLOUDFLARE_API_TOKEN') ?? dev(LOCAL_CLOUDFLARE.platformToken),
    accountId: read('CLOUDFLARE_ACCOUNT_ID') ?? dev(LOCAL_CLOUDFLARE.accountId),
    workerName: read('CLOUDFLARE_WORKER_NAME') ?? 'huskit',
    /** The public URL of a Worker, from `{script}` and `{subdomain}`. */
    siteUrl:
      read('CLOUDFLARE_SITE_URL') ?? (production ? 'https://{script}.{subdomain}.workers.dev' : `http://{script}.{subdomain}.workers.localhost:${cloudPort}`),
    /** The compatibility date of new Worker versions; unset means today's UTC date at each deploy. */
    compatibilityDate,
  };
});
