// Deploying a site to Netlify (stub until built).
import type { PlatformAdapter } from '../adapter';
import { PlatformError } from '../http';

export interface NetlifyCredentials {
  token: string;

}

const notYet = () => new PlatformError('bad_request', 'Netlify deploys are not built yet.');

export const netlifyAdapter: PlatformAdapter<NetlifyCredentials> = {
  platform: 'netlify',
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
