import type { EmulatorTwin } from '../platform';
import { createNetlify } from './api';

export const netlifyTwin: EmulatorTwin = {
  create: createNetlify,
  banner: ({ url, port }) => `Netlify API     ${url}/api/v1   sites: http://{site}.netlify.localhost:${port}/`,
};
