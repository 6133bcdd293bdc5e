import type { EmulatorTwin } from '../platform';
import { defaultVercelConfig, type VercelConfig } from './config';
import { createVercel } from './api';

export const vercelTwin: EmulatorTwin<VercelConfig> = {
  defaultConfig: defaultVercelConfig,
  forTests: (config) => {
    config.stepMs = 100;
  },
  create: createVercel,
  banner: ({ url, port }) => `Vercel API      ${url}/vercel   sites: http://{project}.vercel.localhost:${port}/`,
};
