import type { EmulatorTwin } from '../platform';
import { defaultCloudflareConfig, type CloudflareConfig } from './config';
import { createCloudflare } from './api';

export const cloudflareTwin: EmulatorTwin<CloudflareConfig> = {
  defaultConfig: defaultCloudflareConfig,
  create: createCloudflare,
  banner: ({ url, port, config }) =>
    `Cloudflare API  ${url}/client/v4   sites: http://{script}.${config.cloudflare.accounts[0]!.subdomain}.workers.localhost:${port}/`,
};
