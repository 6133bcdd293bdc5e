import type { EmulatorTwin } from '../platform';
import { defaultVercelConfig, type VercelConfig } from './config';
import { createVercel } from './api';

export const vercelTwin: EmulatorTwin<VercelConfig> = {
  defaultConfig: defaultVercelConfig,
  create: createVercel,
  banner: ({ url, port }) => `Vercel API      ${url}/vercel   sites: http://{project}.vercel.localhost:${port}/`,
};
