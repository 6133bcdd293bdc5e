import type { EmulatorTwin } from '../platform';
import { defaultNetlifyConfig, type NetlifyConfig } from './config';
import { createNetlify } from './api';

export const netlifyTwin: EmulatorTwin<NetlifyConfig> = {
  defaultConfig: defaultNetlifyConfig,
  forTests: (config) => {
    config.stepMs = 50;
  },
  create: createNetlify,
  banner: ({ url, port }) => `Netlify API     ${url}/api/v1   sites: http://{site}.netlify.localhost:${port}/`,
};
