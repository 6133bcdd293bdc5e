// The Vercel API of the local cloud (stub until built).
import type { PlatformFactory } from '../platform';

export const createVercel: PlatformFactory = () => ({
  name: 'vercel',
  apis: [],
  serveSite: () => false,
  stats: () => ({}),
  reset: () => {},
  snapshot: () => ({ state: {}, blobs: new Map() }),
  restore: () => {},
});
