// This platform's accounts in the local cloud (src/emulator): the development defaults of the
// platform-managed credentials, and what a person pastes into Settings to try "your own account"
// locally. Nothing here is a secret of any real platform.
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

/** The quick-deploy settings of a production-mode server (`next start`) pointed at the local cloud (the browser tests). */
export const localCloudEnv = (cloudUrl: string, cloudPort: number): Record<string, string> => ({
  AMPLIFY_ACCESS_KEY_ID: LOCAL_AWS.platform.accessKeyId,
  AMPLIFY_SECRET_ACCESS_KEY: LOCAL_AWS.platform.secretAccessKey,
  AMPLIFY_REGION: LOCAL_AWS.region,
  AMPLIFY_APP_ID: LOCAL_AWS.platformAppId,
  AMPLIFY_ENDPOINT: cloudUrl,
  AMPLIFY_SITE_URL: `http://{branch}.{appId}.amplifyapp.localhost:${cloudPort}`,
});
