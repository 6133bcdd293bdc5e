// The platforms the local cloud emulates, each one folder beside this file (its API, state, sites,
// accounts): one line each. The compiler checks that every platform the product deploys to has its twin.
import type { DeploymentPlatform } from '@/lib/deployment';
import { amplifyTwin } from './amplify';
import { cloudflareTwin } from './cloudflare';
import { githubTwin } from './github';
import { netlifyTwin } from './netlify';
import type { EmulatorTwin } from './platform';
import { vercelTwin } from './vercel';

export const TWINS = {
  cloudflare: cloudflareTwin,
  amplify: amplifyTwin,
  netlify: netlifyTwin,
  vercel: vercelTwin,
  github: githubTwin,
} satisfies Record<DeploymentPlatform, EmulatorTwin<object>>;

/** Each twin's settings, under its platform's id. */
export type TwinConfigs = { [P in keyof typeof TWINS]: ReturnType<(typeof TWINS)[P]['defaultConfig']> };

export function twinConfigs(): TwinConfigs {
  return Object.fromEntries(Object.entries(TWINS).map(([id, twin]) => [id, twin.defaultConfig()])) as TwinConfigs;
}
