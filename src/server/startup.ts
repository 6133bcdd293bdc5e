// What the server does once when it starts (called from src/instrumentation.ts, Node.js runtime only):
// a bad configuration stops it here with a message that names the variable, instead of failing on
// the first request; in development the database is opened (and migrated) right away. Then the
// deployment sweep starts: deployments whose runner stopped are finished by this process.
import { ConfigError, getEnv } from './env';
import { getDb } from './db/client';
import { startSweeper } from './deploy/background';
import { SERVER_PLATFORMS } from './platforms/registry';

export async function startServer(): Promise<void> {
  try {
    getEnv();
    for (const platform of Object.values(SERVER_PLATFORMS)) platform.settings();
    if (!getEnv().isProduction) await getDb();
    startSweeper();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`\n${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
