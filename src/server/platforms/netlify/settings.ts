import { LOCAL_NETLIFY } from '@/lib/platforms/netlify/local';
import { platformSettings } from '../settings';

export const netlifySettings = platformSettings(({ read, production, localCloud, dev }) => ({
  /** The API base including /api/v1. */
  apiUrl: (read('NETLIFY_API_URL') ?? (production ? 'https://api.netlify.com/api/v1' : `${localCloud}/api/v1`)).replace(/\/+$/, ''),
  authToken: read('NETLIFY_AUTH_TOKEN') ?? dev(LOCAL_NETLIFY.platformToken),
  /** The team that holds quick-deploy sites; the token's default team when unset. */
  accountSlug: read('NETLIFY_ACCOUNT_SLUG') ?? dev(LOCAL_NETLIFY.platformAccountSlug),
}));
