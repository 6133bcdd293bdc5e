// Deploying a site to Vercel (stub until built).
import type { PlatformAdapter } from '../adapter';
import { PlatformError } from '../http';

export interface VercelCredentials {
  token: string;
  teamId?: string;
}

const notYet = () => new PlatformError('bad_request', 'Vercel deploys are not built yet.');

export const vercelAdapter: PlatformAdapter<VercelCredentials> = {
  platform: 'vercel',
  platformCredentials: () => null,
  parseCredentials: () => {
    throw notYet();
  },
  verify: async () => {
    throw notYet();
  },
  deploy: async () => {
    throw notYet();
  },
  remove: async () => {},
  listManagedResources: async () => [],
  abandon: async () => {},
};
