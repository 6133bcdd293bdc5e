// The server's half of each platform (its folder beside this file): the adapter, what it runs or
// reads as configuration, its settings. One line each; the compiler checks every platform has one.
import type { DeploymentPlatform } from '@/lib/platforms';
import type { ServerPlatform } from './adapter';
import { amplifyServer } from './amplify';
import { cloudflareServer } from './cloudflare';
import { githubServer } from './github';
import { netlifyServer } from './netlify';
import { vercelServer } from './vercel';

export const SERVER_PLATFORMS: Record<DeploymentPlatform, ServerPlatform> = {
  cloudflare: cloudflareServer,
  amplify: amplifyServer,
  netlify: netlifyServer,
  vercel: vercelServer,
  github: githubServer,
};
