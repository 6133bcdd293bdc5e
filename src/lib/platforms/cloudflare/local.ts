// This platform's accounts in the local cloud (src/emulator): the development defaults of the
// platform-managed credentials, and what a person pastes into Settings to try "your own account"
// locally. Nothing here is a secret of any real platform.
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

/** The quick-deploy settings of a production-mode server (`next start`) pointed at the local cloud (the browser tests). */
export const localCloudEnv = (cloudUrl: string, cloudPort: number): Record<string, string> => ({
  CLOUDFLARE_API_BASE_URL: `${cloudUrl}/client/v4`,
  CLOUDFLARE_API_TOKEN: LOCAL_CLOUDFLARE.platformToken,
  CLOUDFLARE_ACCOUNT_ID: LOCAL_CLOUDFLARE.accountId,
  CLOUDFLARE_SITE_URL: `http://{script}.{subdomain}.workers.localhost:${cloudPort}`,
});
