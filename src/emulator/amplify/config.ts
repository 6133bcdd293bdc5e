// The local AWS: its identities, the shared app, limits and how long a job's steps take.
import { LOCAL_AWS } from '@/lib/platforms/amplify/local';

export interface AwsIdentity {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (ASIA…) are valid only with their session token. */
  sessionToken?: string;
  accountId: string;
}

export interface AmplifyConfig {
  region: string;
  identities: AwsIdentity[];
  /** Apps that exist when the cloud starts (the platform's shared app). */
  apps: { appId: string; name: string; accountId: string }[];
  appLimit: number;
  branchLimit: number;
  /** How long a started job waits before RUNNING, and again before it finishes. */
  jobStepMs: number;
  presignExpiresSeconds: number;
}

export const PLATFORM_AWS_ACCOUNT = '111122223333';
export const USER_AWS_ACCOUNT = '444455556666';

export function defaultAmplifyConfig(): AmplifyConfig {
  return {
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
  };
}
