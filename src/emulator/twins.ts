// The platforms the local cloud emulates, each one folder beside this file (its API, state, sites):
// one line each. The compiler checks that every platform the product deploys to has its twin.
import type { DeploymentPlatform } from '@/lib/deployment';
import { amplifyTwin } from './amplify';
import { cloudflareTwin } from './cloudflare';
import { netlifyTwin } from './netlify';
import type { EmulatorTwin } from './platform';
import { vercelTwin } from './vercel';

export const TWINS: Record<DeploymentPlatform, EmulatorTwin> = {
  cloudflare: cloudflareTwin,
  amplify: amplifyTwin,
  netlify: netlifyTwin,
  vercel: vercelTwin,
};
