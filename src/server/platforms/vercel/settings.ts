import { LOCAL_VERCEL } from '@/lib/platforms/vercel/local';
import { platformSettings } from '../settings';

export const vercelSettings = platformSettings(({ read, production, localCloud, dev }) => ({
  apiUrl: (read('VERCEL_API_URL') ?? (production ? 'https://api.vercel.com' : `${localCloud}/vercel`)).replace(/\/+$/, ''),
  token: read('VERCEL_TOKEN') ?? dev(LOCAL_VERCEL.platformToken),
  teamId: read('VERCEL_TEAM_ID') ?? dev(LOCAL_VERCEL.platformTeamId),
  /** The public URL of a production alias, from `{alias}` (the host name the API answers; the local cloud's carry their port). */
  siteUrl: read('VERCEL_SITE_URL') ?? (production ? 'https://{alias}' : 'http://{alias}'),
}));
