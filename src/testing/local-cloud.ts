// A local cloud for a test file, on a port chosen when this module loads, so the product's
// configuration (CLOUD_PORT → the Cloudflare API base, the Amplify endpoint, the site URLs) points
// at it. Import this before anything reads the configuration.
import { afterAll, beforeAll } from 'vitest';
import { defaultCloudConfig, type CloudConfig } from '@/emulator/config';
import { startCloud, type RunningCloud } from '@/emulator/server';
import { freePortBelowEphemeralRange } from './free-port';

const port = freePortBelowEphemeralRange();
process.env.CLOUD_PORT = String(port);

export function useLocalCloud(configure: (config: CloudConfig) => void = () => {}): () => RunningCloud {
  let cloud: RunningCloud | undefined;
  beforeAll(async () => {
    const config = defaultCloudConfig({ port });
    // Platform work that waits (Amplify jobs, Netlify and Vercel deploy states) waits less in tests.
    config.amplify.jobStepMs = 100;
    config.netlify.stepMs = 50;
    config.vercel.stepMs = 100;
    configure(config);
    cloud = await startCloud(config);
  });
  afterAll(() => cloud?.close());
  return () => {
    if (!cloud) throw new Error('The local cloud is not started yet (use it inside a test or hook).');
    return cloud;
  };
}
