// The local cloud's accounts, credentials and limits. The defaults are the development values the
// product's configuration points at (src/lib/local-cloud.ts) and what the README tells a person to
// paste into Settings to try "your own account" locally.
import { LOCAL_AWS, LOCAL_CLOUDFLARE, LOCAL_CLOUD_PORT } from '@/lib/local-cloud';
import { defaultNetlifyConfig, type NetlifyConfig } from './netlify/config';
import { defaultVercelConfig, type VercelConfig } from './vercel/config';

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

export interface AwsIdentity {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (ASIA…) are valid only with their session token. */
  sessionToken?: string;
  accountId: string;
}

export interface CloudConfig {
  host: string;
  port: number;
  /** Host suffix of the served sites: {script}.{subdomain}.workers.{siteDomain}, {branch}.{appId}.amplifyapp.{siteDomain}. */
  siteDomain: string;
  /** Where state is kept across restarts; in memory only when undefined. */
  persistDir?: string;
  cloudflare: {
    accounts: CloudflareAccount[];
    tokens: CloudflareToken[];
    workerLimit: number;
    maxFilesPerVersion: number;
    maxFileBytes: number;
    jwtTtlSeconds: number;
    /** Requests per token per five minutes before code 971 (Cloudflare's global limit is 1,200). */
    rateLimitPer5Min: number;
  };
  aws: {
    region: string;
    identities: AwsIdentity[];
    /** Apps that exist when the cloud starts (the platform's shared app). */
    apps: { appId: string; name: string; accountId: string }[];
    appLimit: number;
    branchLimit: number;
    /** How long a started job waits before RUNNING, and again before it finishes. */
    jobStepMs: number;
    presignExpiresSeconds: number;
  };
  netlify: NetlifyConfig;
  vercel: VercelConfig;
}

export const PLATFORM_AWS_ACCOUNT = '111122223333';
export const USER_AWS_ACCOUNT = '444455556666';

export function defaultCloudConfig(overrides: Partial<Pick<CloudConfig, 'host' | 'port' | 'persistDir' | 'siteDomain'>> = {}): CloudConfig {
  return {
    host: '127.0.0.1',
    port: LOCAL_CLOUD_PORT,
    siteDomain: 'localhost',
    ...overrides,
    cloudflare: {
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
    },
    aws: {
      region: LOCAL_AWS.region,
      identities: [
        { name: 'platform', ...LOCAL_AWS.platform, accountId: PLATFORM_AWS_ACCOUNT },
        { name: 'user', ...LOCAL_AWS.user, accountId: USER_AWS_ACCOUNT },
        { name: 'user-temporary', ...LOCAL_AWS.userTemporary, accountId: USER_AWS_ACCOUNT },
      ],
      apps: [{ appId: LOCAL_AWS.platformAppId, name: 'huskit-quick-deploy', accountId: PLATFORM_AWS_ACCOUNT }],
      appLimit: 25,
      branchLimit: 50,
      jobStepMs: 1000,
      presignExpiresSeconds: 3600,
    },
    netlify: defaultNetlifyConfig(),
    vercel: defaultVercelConfig(),
  };
}
