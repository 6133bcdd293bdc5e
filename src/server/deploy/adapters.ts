// The platforms the engine can deploy to. A new platform is a folder under src/server/platforms and
// one line here.
import type { DeploymentPlatform } from '@/lib/deployment';
import type { PlatformAdapter } from '../platforms/adapter';
import { amplifyAdapter } from '../platforms/amplify/adapter';
import { cloudflareAdapter } from '../platforms/cloudflare/adapter';
import { netlifyAdapter } from '../platforms/netlify/adapter';
import { vercelAdapter } from '../platforms/vercel/adapter';
import { AppError } from '../errors';

const ADAPTERS: Partial<Record<DeploymentPlatform, PlatformAdapter<never>>> = {
  cloudflare: cloudflareAdapter as PlatformAdapter<never>,
  amplify: amplifyAdapter as PlatformAdapter<never>,
  netlify: netlifyAdapter as PlatformAdapter<never>,
  vercel: vercelAdapter as PlatformAdapter<never>,
};

export function adapterFor(platform: DeploymentPlatform): PlatformAdapter<unknown> {
  const adapter = ADAPTERS[platform];
  if (!adapter) throw new AppError('BAD_REQUEST', `Deploying to ${platform} is not available yet.`);
  return adapter as PlatformAdapter<unknown>;
}
