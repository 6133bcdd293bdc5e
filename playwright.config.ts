import { defineConfig } from '@playwright/test';

// Real Chromium from Debian (never a downloaded browser), against `next build` + `next start`.
// Without DATABASE_URL the server uses a fresh embedded database under .data/e2e.
const PORT = Number(process.env.E2E_PORT ?? 3123);
const baseURL = `http://127.0.0.1:${PORT}`;

export const e2eServerEnv: Record<string, string> = {
  SESSION_SECRET: 'e2e-session-secret-that-is-long-enough-000000',
  ENCRYPTION_KEYS: `e2e:${Buffer.alloc(32, 5).toString('base64')}`,
  CRON_SECRET: 'e2e-cron-secret-0000',
  ADMIN_EMAILS: 'operator@huskit.test',
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : { PGLITE_DATA_DIR: `.data/e2e-${Date.now()}` }),
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
  webServer: {
    command: `npm run db:migrate && npx next start -H 127.0.0.1 -p ${PORT}`,
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: e2eServerEnv,
  },
});
