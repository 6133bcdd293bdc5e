import { LOCAL_AWS } from '@/lib/platforms/amplify/local';
import { isAmplifyRegion } from '@/lib/platforms/amplify/regions';
import { platformSettings } from '../settings';

export const amplifySettings = platformSettings(({ read, production, localCloud, cloudPort, dev, fail }) => {
  const region = read('AMPLIFY_REGION');
  if (region && !isAmplifyRegion(region))
    fail(
      'AMPLIFY_REGION',
      'is not an AWS region where Amplify Hosting is available',
      'Use one of the regions in src/lib/platforms/amplify/regions.ts, e.g. us-east-1.',
    );
  return {
    accessKeyId: read('AMPLIFY_ACCESS_KEY_ID') ?? dev(LOCAL_AWS.platform.accessKeyId),
    secretAccessKey: read('AMPLIFY_SECRET_ACCESS_KEY') ?? dev(LOCAL_AWS.platform.secretAccessKey),
    region: region ?? LOCAL_AWS.region,
    appId: read('AMPLIFY_APP_ID') ?? dev(LOCAL_AWS.platformAppId),
    endpoint: read('AMPLIFY_ENDPOINT') ?? dev(localCloud),
    /** The public URL of a branch, from `{branch}` (its displayName), `{appId}` and `{domain}` (the app's default domain). */
    siteUrl: read('AMPLIFY_SITE_URL') ?? (production ? 'https://{branch}.{domain}' : `http://{branch}.{appId}.amplifyapp.localhost:${cloudPort}`),
  };
});
