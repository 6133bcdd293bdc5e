// What a platform of the local cloud provides to the server: API surfaces (routes under a path
// prefix, with the platform's own error shape), the sites it serves by host name, and its state.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudConfig } from './config';
import type { FiredFault } from './faults';
import type { FaultTarget, Router } from './router';

export interface Clock {
  /** Milliseconds since the epoch, moved by POST /_emulator/clock. */
  now(): number;
}

export interface EmulatorServices {
  config: CloudConfig;
  clock: Clock;
  /** The emulator's own origin, e.g. http://127.0.0.1:8787 (for presigned URLs it hands out). */
  origin(): string;
  /** Call after a change worth keeping across restarts. */
  changed(): void;
}

export type ErrorKind = 'not_found' | 'method_not_allowed' | 'too_large' | 'internal';

export interface ApiSurface {
  target: FaultTarget;
  /** Path prefix, e.g. "/client/v4"; "" for the root. */
  prefix: string;
  router: Router;
  /** An error in this API's own wire format. */
  sendError(res: ServerResponse, kind: ErrorKind, message: string): void;
  /** A fault in this API's own wire format (429 with Retry-After, 5xx). */
  sendFault(res: ServerResponse, fault: FiredFault): void;
}

export interface PersistedState {
  state: unknown;
  /** Large byte arrays kept beside the JSON state, by key. */
  blobs: Map<string, Buffer>;
}

export interface EmulatorPlatform {
  name: string;
  apis: ApiSurface[];
  /** Serves a deployed site when the host name is one of this platform's; false otherwise. */
  serveSite(hostname: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> | boolean;
  stats(): Record<string, number>;
  reset(): void;
  snapshot(): PersistedState;
  restore(state: unknown, readBlob: (key: string) => Buffer | undefined): void;
}

export type PlatformFactory = (services: EmulatorServices) => EmulatorPlatform;

/** One emulated platform, as the registry (twins.ts) lists it. */
export interface EmulatorTwin<Config> {
  create: PlatformFactory;
  /** Its accounts, credentials and limits in the local cloud's default configuration. */
  defaultConfig(): Config;
  /** Platform work that waits (jobs, deploy states, builds) waits less in the product's tests. */
  forTests?(config: Config): void;
  /** Its line of `npm run cloud`'s banner: where its API and its sites are. */
  banner(cloud: { url: string; port: number; config: CloudConfig }): string;
}
