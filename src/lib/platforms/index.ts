// The platforms Huskit deploys to: the only list of them. Each is one folder here (what the browser
// and the server both need), one under src/server/platforms (its adapter) and one under src/emulator
// (its twin in the local cloud); the compiler checks that every list keyed by platform is complete.
import { amplify } from './amplify';
import { cloudflare } from './cloudflare';
import { github } from './github';
import { netlify } from './netlify';
import type { PlatformInfo } from './types';
import { vercel } from './vercel';

export const PLATFORMS = { cloudflare, amplify, netlify, vercel, github } as const satisfies { [Id in string]: PlatformInfo<Id> };

export type DeploymentPlatform = keyof typeof PLATFORMS;
export const DEPLOYMENT_PLATFORMS = Object.keys(PLATFORMS) as DeploymentPlatform[];

export function platformInfo(platform: DeploymentPlatform): PlatformInfo<DeploymentPlatform> {
  return PLATFORMS[platform];
}

/** Whether `value` names a platform (for input from URLs and requests). */
export function isDeploymentPlatform(value: string): value is DeploymentPlatform {
  return Object.hasOwn(PLATFORMS, value);
}
