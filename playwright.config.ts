import { randomBytes } from 'node:crypto';
import { defineConfig } from '@playwright/test';
import { freePortsSync } from './e2e/free-ports';
import { PLATFORMS } from './src/lib/platforms';

// Real Chromium from Debian (never a downloaded browser), against `next build` + `next start`.
// Without DATABASE_URL the server uses a fresh embedded database under .data/e2e.
// Free ports, picked once per run (the system's, never guessed): the test workers load this file again
// and inherit them. E2E_PORT, E2E_CLOUD_PORT and E2E_RELAY_PORT choose them instead.
if (!process.env.E2E_PORT || !process.env.E2E_CLOUD_PORT || !process.env.E2E_RELAY_PORT) {
  const [app, cloud, relay] = freePortsSync(3);
  process.env.E2E_PORT ??= String(app);
  process.env.E2E_CLOUD_PORT ??= String(cloud);
  process.env.E2E_RELAY_PORT ??= String(relay);
}
const PORT = Number(process.env.E2E_PORT);
const baseURL = `http://127.0.0.1:${PORT}`;
/** The local cloud of the browser tests (not the development one on 8787). */
const CLOUD_PORT = Number(process.env.E2E_CLOUD_PORT);
export const CLOUD_URL = `http://127.0.0.1:${CLOUD_PORT}`;
/** `next start` is production, where no relay starts in-process: a local PostgreSQL is reached through this one. */
const RELAY_PORT = Number(process.env.E2E_RELAY_PORT);
// One token per run: the test workers load this file again and inherit it.
process.env.E2E_RELAY_TOKEN ??= randomBytes(24).toString('base64url');
const relayEnv = { DATABASE_URL: process.env.DATABASE_URL ?? '', RELAY_PORT: String(RELAY_PORT), RELAY_TOKEN: process.env.E2E_RELAY_TOKEN };

export const e2eServerEnv: Record<string, string> = {
  SESSION_SECRET: 'e2e-session-secret-that-is-long-enough-000000',
  ENCRYPTION_KEYS: `e2e:${Buffer.alloc(32, 5).toString('base64')}`,
  CRON_SECRET: 'e2e-cron-secret-0000',
  CLOUD_PORT: String(CLOUD_PORT),
  // The editor's preview on an origin of its own (Chromium resolves *.localhost to loopback).
  PREVIEW_ORIGIN: `http://preview.localhost:${PORT}`,
  // `next start` is production: the platform-managed credentials point at the local cloud explicitly.
  ...Object.assign({}, ...Object.values(PLATFORMS).map((p) => ('localCloudEnv' in p ? p.localCloudEnv(CLOUD_URL, CLOUD_PORT) : {}))),
  // No sweep in the browser tests' server: the two-servers spec turns it on where it tests it (a sweep
  // here, on the same database, would finish its deployments instead).
  DEPLOY_SWEEP_MS: '0',
  ...(process.env.DATABASE_URL
    ? { DATABASE_URL: process.env.DATABASE_URL, NEON_WS_PROXY: `127.0.0.1:${RELAY_PORT}/${relayEnv.RELAY_TOKEN}/v1` }
    : { PGLITE_DATA_DIR: `.data/e2e-${Date.now()}` }),
};

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: process.env.CI ? 'line' : 'list',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  webServer: [
    ...(process.env.DATABASE_URL
      ? [{ command: 'npx tsx src/server/db/ws-relay-cli.ts', port: RELAY_PORT, reuseExistingServer: false, timeout: 30_000, env: relayEnv }]
      : []),
    {
      command: 'npm run cloud',
      url: `${CLOUD_URL}/_emulator/stats`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: { CLOUD_PORT: String(CLOUD_PORT), CLOUD_PERSIST: '0' },
    },
    {
      command: `npm run db:migrate && npx next start -H 127.0.0.1 -p ${PORT}`,
      url: `${baseURL}/api/health`,
      reuseExistingServer: false,
      timeout: 120_000,
      env: e2eServerEnv,
    },
  ],
});
