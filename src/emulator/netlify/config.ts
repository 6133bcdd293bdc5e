// The local Netlify's teams, tokens and limits (development defaults from src/lib/local-cloud.ts).
// Netlify's documented limits are 500 requests a minute and 3 deploys a minute / 100 a day; the
// defaults here are generous so the product's own tests are never throttled, and a test that wants
// the real behaviour sets them (Netlify docs, "Rate limiting").
import { LOCAL_NETLIFY } from '@/lib/platforms/netlify/local';

export interface NetlifyAccount {
  id: string;
  slug: string;
  name: string;
}

export interface NetlifyToken {
  value: string;
  name: string;
  user: { id: string; email: string; fullName: string };
  /** The teams the token's user belongs to; the first is the default team (POST /sites). */
  accountSlugs: string[];
}

export interface NetlifyConfig {
  accounts: NetlifyAccount[];
  tokens: NetlifyToken[];
  /** How long each deploy state lasts (preparing, prepared/uploaded, processing) on the cloud clock. */
  stepMs: number;
  /** API requests per token per minute before 429 (Netlify: 500). */
  requestsPerMinute: number;
  /** Deploys created per site per minute and per day before 429 (Netlify: 3 and 100). */
  deploysPerMinute: number;
  deploysPerDay: number;
  /** A deploy with more files than this in one folder ends in error (Netlify: 54,000). */
  maxFilesPerDirectory: number;
}

export function defaultNetlifyConfig(): NetlifyConfig {
  return {
    accounts: [
      { id: '5f0a1b2c3d4e5f6a7b8c9d01', slug: LOCAL_NETLIFY.platformAccountSlug, name: 'Huskit Local' },
      { id: '5f0a1b2c3d4e5f6a7b8c9d02', slug: LOCAL_NETLIFY.userAccountSlug, name: 'Local User' },
    ],
    tokens: [
      {
        value: LOCAL_NETLIFY.platformToken,
        name: 'platform',
        user: { id: '6a0b1c2d3e4f5a6b7c8d9e01', email: 'deploy@huskit.test', fullName: 'Huskit Deploy' },
        accountSlugs: [LOCAL_NETLIFY.platformAccountSlug],
      },
      {
        value: LOCAL_NETLIFY.userToken,
        name: 'user',
        user: { id: '6a0b1c2d3e4f5a6b7c8d9e02', email: 'local.user@huskit.test', fullName: 'Local User' },
        accountSlugs: [LOCAL_NETLIFY.userAccountSlug],
      },
    ],
    stepMs: 400,
    requestsPerMinute: 100_000,
    deploysPerMinute: 10_000,
    deploysPerDay: 1_000_000,
    maxFilesPerDirectory: 54_000,
  };
}
