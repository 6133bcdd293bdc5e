// The local cloud's own settings; each platform's accounts, credentials and limits are its twin's
// (src/emulator/<platform>/config.ts), under its id. The defaults are the development values the
// product's configuration points at (src/lib/local-cloud.ts) and what the README tells a person to
// paste into Settings to try "your own account" locally.
import { LOCAL_CLOUD_PORT } from '@/lib/local-cloud';
import { twinConfigs, type TwinConfigs } from './twins';

export interface CloudBaseConfig {
  host: string;
  port: number;
  /** Host suffix of the served sites: each twin serves its hosts under it (e.g. {site}.{platform}.{siteDomain}). */
  siteDomain: string;
  /** Where state is kept across restarts; in memory only when undefined. */
  persistDir?: string;
}

export type CloudConfig = CloudBaseConfig & TwinConfigs;

export function defaultCloudConfig(overrides: Partial<CloudBaseConfig> = {}): CloudConfig {
  return { host: '127.0.0.1', port: LOCAL_CLOUD_PORT, siteDomain: 'localhost', ...overrides, ...twinConfigs() };
}
