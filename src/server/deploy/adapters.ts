// The adapter of a platform, from the server's registry (src/server/platforms/registry.ts).
import type { DeploymentPlatform } from '@/lib/deployment';
import type { PlatformAdapter } from '../platforms/adapter';
import { SERVER_PLATFORMS } from '../platforms/registry';

export function adapterFor(platform: DeploymentPlatform): PlatformAdapter<unknown> {
  return SERVER_PLATFORMS[platform].adapter as PlatformAdapter<unknown>;
}
