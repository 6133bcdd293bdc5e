import type { EmulatorTwin } from '../platform';
import { createVercel } from './api';

export const vercelTwin: EmulatorTwin = {
  create: createVercel,
  banner: ({ url, port }) => `Vercel API      ${url}/vercel   sites: http://{project}.vercel.localhost:${port}/`,
};
