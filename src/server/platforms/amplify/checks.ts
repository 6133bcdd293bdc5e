// What is checked before anything reaches AWS: the region (it becomes part of the host name), the
// keys, and every id that enters a URL; and Amplify's answers checked for what the adapter relies on.
import { isAmplifyRegion } from '@/lib/platforms/amplify/regions';
import { PlatformError } from '../http';
import type { AmplifyApp, AmplifyBranch, AmplifyCredentials } from './types';

/** The model's pattern and length for app ids (AppId in the Amplify API Reference); checked before an id enters a URL. */
export const APP_ID = /^d[a-z0-9]{1,19}$/;
/** Job ids are decimal strings (a per-branch counter). */
export const JOB_ID = /^[0-9]{1,255}$/;
/** IAM access key ids: 16–128 word characters (AKIA…/ASIA…). */
const ACCESS_KEY_ID = /^\w{16,128}$/;
/** STS's temporary access keys start with ASIA and are valid only with their session token. */
export const isTemporaryKey = (accessKeyId: string) => accessKeyId.startsWith('ASIA');

/** Refuses a region outside the allow-list: it would otherwise become part of the API host name. */
export function checkRegion(region: unknown): string {
  if (isAmplifyRegion(region)) return region;
  const shown = typeof region === 'string' ? JSON.stringify(region.slice(0, 40)) : 'missing';
  throw new PlatformError(
    'bad_request',
    `The AWS region ${shown} is not one where Amplify Hosting is available. Choose a region from the list (for example us-east-1) in Settings and reconnect.`,
  );
}

export function checkAppId(appId: unknown): string {
  if (typeof appId === 'string' && APP_ID.test(appId)) return appId;
  throw new PlatformError(
    'bad_request',
    'The Amplify app ID is not valid: it starts with "d" followed by up to 19 lowercase letters and digits (find it under App settings → General in the Amplify console).',
  );
}

/** The credentials as far as they can be checked without asking AWS; throws before any request. */
export function checkCredentials(credentials: AmplifyCredentials): void {
  checkRegion(credentials.region);
  if (typeof credentials.accessKeyId !== 'string' || !ACCESS_KEY_ID.test(credentials.accessKeyId) || !credentials.secretAccessKey) {
    throw new PlatformError(
      'auth',
      'The AWS access keys are incomplete or malformed. Reconnect your account in Settings with an access key ID and its secret access key.',
    );
  }
  if (isTemporaryKey(credentials.accessKeyId) && !credentials.sessionToken) {
    throw new PlatformError(
      'auth',
      'This access key ID starts with ASIA: it is a temporary key, valid only with its session token. Reconnect your account in Settings and paste the session token too (or use a long-term key starting with AKIA).',
    );
  }
  if (credentials.appId !== undefined) checkAppId(credentials.appId);
}

/** The URI-component encoding of the AWS SDKs (RFC 3986 unreserved set): a whole path segment. */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function checkApp(app: AmplifyApp | undefined): AmplifyApp {
  if (!app || typeof app.appId !== 'string' || !APP_ID.test(app.appId))
    throw new PlatformError('unavailable', 'Amplify answered without a usable app. Try again in a moment.');
  return { ...app, defaultDomain: app.defaultDomain || `${app.appId}.amplifyapp.com` };
}

/** Amplify's own rule when displayName is absent: lower case, anything else than [a-z0-9-] → "-". */
export function derivedDisplayName(branchName: string): string {
  return branchName.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

export function checkBranch(branch: AmplifyBranch | undefined, branchName: string): AmplifyBranch {
  if (!branch) throw new PlatformError('unavailable', 'Amplify answered without the branch. Try again in a moment.');
  return { ...branch, branchName: branch.branchName || branchName, displayName: branch.displayName || derivedDisplayName(branchName) };
}
