// The Netlify API of the local cloud (stub until built).
import type { PlatformFactory } from '../platform';

export const createNetlify: PlatformFactory = () => ({
  name: 'netlify',
  apis: [],
  serveSite: () => false,
  stats: () => ({}),
  reset: () => {},
  snapshot: () => ({ state: {}, blobs: new Map() }),
  restore: () => {},
});
