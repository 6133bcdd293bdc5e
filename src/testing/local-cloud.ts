// A local cloud for a test file, on a port chosen when this module loads, so the product's
// configuration (CLOUD_PORT → each platform's API base and site URLs) points
// at it. Import this before anything reads the configuration.
import { afterAll, beforeAll } from 'vitest';
import { defaultCloudConfig, type CloudConfig } from '@/emulator/config';
import type { EmulatorTwin } from '@/emulator/platform';
import { startCloud, type RunningCloud } from '@/emulator/server';
import { TWINS } from '@/emulator/twins';
import { freePortBelowEphemeralRange } from './free-port';

const port = freePortBelowEphemeralRange();
process.env.CLOUD_PORT = String(port);

export function useLocalCloud(configure: (config: CloudConfig) => void = () => {}): () => RunningCloud {
  let cloud: RunningCloud | undefined;
  beforeAll(async () => {
    const config = defaultCloudConfig({ port });
    for (const [id, twin] of Object.entries(TWINS) as [keyof typeof TWINS, EmulatorTwin<object>][]) twin.forTests?.(config[id]);
    configure(config);
    cloud = await startCloud(config);
  });
  afterAll(() => cloud?.close());
  return () => {
    if (!cloud) throw new Error('The local cloud is not started yet (use it inside a test or hook).');
    return cloud;
  };
}
