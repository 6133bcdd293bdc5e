// This platform's accounts in the local cloud (src/emulator): the development defaults of the
// platform-managed credentials, and what a person pastes into Settings to try "your own account"
// locally. Nothing here is a secret of any real platform.
export const LOCAL_NETLIFY = {
  /** The shared account of quick deploys (NETLIFY_AUTH_TOKEN in development). */
  platformToken: 'local-netlify-platform-token-000000000000',
  platformAccountSlug: 'huskit-local',
  /** What a person pastes into Settings to try "your own account" locally. */
  userToken: 'local-netlify-user-token-0000000000000000',
  userAccountSlug: 'local-user',
} as const;

/** The quick-deploy settings of a production-mode server (`next start`) pointed at the local cloud (the browser tests). */
export const localCloudEnv = (cloudUrl: string): Record<string, string> => ({
  NETLIFY_API_URL: `${cloudUrl}/api/v1`,
  NETLIFY_AUTH_TOKEN: LOCAL_NETLIFY.platformToken,
  NETLIFY_ACCOUNT_SLUG: LOCAL_NETLIFY.platformAccountSlug,
});
