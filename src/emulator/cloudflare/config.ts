// The local Cloudflare's accounts, tokens and limits (development defaults from src/lib/local-cloud.ts).
import { LOCAL_CLOUDFLARE } from '@/lib/platforms/cloudflare/local';

export interface CloudflareAccount {
  id: string;
  name: string;
  /** The account's workers.dev subdomain; null when it has not registered one. */
  subdomain: string | null;
}

export interface CloudflareToken {
  id: string;
  value: string;
  /** User tokens verify at /user/tokens/verify; account tokens only at /accounts/{id}/tokens/verify. */
  kind: 'user' | 'account';
  accountIds: string[];
  status: 'active' | 'disabled' | 'expired';
}

export interface CloudflareConfig {
  accounts: CloudflareAccount[];
  tokens: CloudflareToken[];
  workerLimit: number;
  maxFilesPerVersion: number;
  maxFileBytes: number;
  jwtTtlSeconds: number;
  /** Requests per token per five minutes before code 971 (Cloudflare's global limit is 1,200). */
  rateLimitPer5Min: number;
}

export function defaultCloudflareConfig(): CloudflareConfig {
  return {
    accounts: [
      { id: LOCAL_CLOUDFLARE.accountId, name: LOCAL_CLOUDFLARE.accountName, subdomain: LOCAL_CLOUDFLARE.subdomain },
      { id: LOCAL_CLOUDFLARE.userAccountId, name: LOCAL_CLOUDFLARE.userAccountName, subdomain: LOCAL_CLOUDFLARE.userSubdomain },
    ],
    tokens: [
      {
        id: 'f0a1b2c3d4e5f60718293a4b5c6d7e8f',
        value: LOCAL_CLOUDFLARE.platformToken,
        kind: 'user',
        accountIds: [LOCAL_CLOUDFLARE.accountId],
        status: 'active',
      },
      {
        id: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
        value: LOCAL_CLOUDFLARE.userToken,
        kind: 'user',
        accountIds: [LOCAL_CLOUDFLARE.userAccountId],
        status: 'active',
      },
    ],
    workerLimit: 100,
    maxFilesPerVersion: 20_000,
    maxFileBytes: 25 * 1024 * 1024,
    jwtTtlSeconds: 3600,
    rateLimitPer5Min: 1200,
  };
}
