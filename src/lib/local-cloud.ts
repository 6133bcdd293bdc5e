// The accounts of the local cloud (src/emulator): the development defaults of the platform-managed
// credentials, and what a person pastes into Settings to try "your own account" locally.
// Nothing here is a secret of any real platform.

export const LOCAL_CLOUD_PORT = 8787;

export const LOCAL_CLOUDFLARE = {
  accountId: '0c1f1a2b3c4d5e6f708192a3b4c5d6e7',
  accountName: 'Huskit Local',
  subdomain: 'huskit-local',
  platformToken: 'local-cf-platform-token-0000000000000000',
  userAccountId: '9e8d7c6b5a4938271605f4e3d2c1b0a9',
  userAccountName: 'Local User',
  userSubdomain: 'local-user',
  userToken: 'local-cf-user-token-00000000000000000000',
} as const;

export const LOCAL_AWS = {
  region: 'us-east-1',
  platform: { accessKeyId: 'AKIAHUSKITPLATFORM00', secretAccessKey: 'local/platform/secret/key/0000000000000000' },
  user: { accessKeyId: 'AKIAHUSKITLOCALUSER0', secretAccessKey: 'local/user/secret/key/00000000000000000000' },
  /** Temporary credentials of the same account (an assumed role's, as STS hands them out): ASIA… plus a session token. */
  userTemporary: {
    accessKeyId: 'ASIAHUSKITLOCALUSER0',
    secretAccessKey: 'local/temporary/secret/key/0000000000000',
    sessionToken: 'local-session-token/IQoJb3JpZ2luX2VjEHUaCXVzLWVhc3QtMSJHMEUCIQ0000000000000000',
  },
  platformAppId: 'd1huskitlocal01',
} as const;

export const LOCAL_NETLIFY = {
  /** The shared account of quick deploys (NETLIFY_AUTH_TOKEN in development). */
  platformToken: 'local-netlify-platform-token-000000000000',
  platformAccountSlug: 'huskit-local',
  /** What a person pastes into Settings to try "your own account" locally. */
  userToken: 'local-netlify-user-token-0000000000000000',
  userAccountSlug: 'local-user',
} as const;

export const LOCAL_VERCEL = {
  /** The shared team of quick deploys (VERCEL_TOKEN, VERCEL_TEAM_ID in development). */
  platformToken: 'localvercelplatformtoken000000',
  platformTeamId: 'team_huskitlocal0000000000',
  platformTeamSlug: 'huskit-local',
  /** What a person pastes into Settings to try "your own account" locally (no team). */
  userToken: 'localverceluseraccounttoken000',
} as const;
