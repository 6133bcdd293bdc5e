// This platform's accounts in the local cloud (src/emulator): the development defaults of the
// platform-managed credentials, and what a person pastes into Settings to try "your own account"
// locally. Nothing here is a secret of any real platform.
export const LOCAL_VERCEL = {
  /** The shared team of quick deploys (VERCEL_TOKEN, VERCEL_TEAM_ID in development). */
  platformToken: 'localvercelplatformtoken000000',
  platformTeamId: 'team_huskitlocal0000000000',
  platformTeamSlug: 'huskit-local',
  /** What a person pastes into Settings to try "your own account" locally (no team). */
  userToken: 'localverceluseraccounttoken000',
} as const;

/** The quick-deploy settings of a production-mode server (`next start`) pointed at the local cloud (the browser tests). */
export const localCloudEnv = (cloudUrl: string): Record<string, string> => ({
  VERCEL_API_URL: `${cloudUrl}/vercel`,
  VERCEL_TOKEN: LOCAL_VERCEL.platformToken,
  VERCEL_TEAM_ID: LOCAL_VERCEL.platformTeamId,
  VERCEL_SITE_URL: 'http://{alias}',
});
