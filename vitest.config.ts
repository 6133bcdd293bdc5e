import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Without DATABASE_URL every test file gets its own in-memory PGlite; with it, the tests run against
// that PostgreSQL through the Neon driver (and the in-process WebSocket relay for a local server).
export default defineConfig({
  resolve: { alias: { '@': path.resolve(__dirname, 'src') } },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    // Generous: CPU-bound tests (scrypt at N=2^17 twenty times, 12 MB scans, CLIs started by tsx) take
    // several times longer while another suite runs beside them on two cores; none waits on a timer.
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // A blob store per test file: a temp folder, or (BLOB_STORE=s3) a bucket on the run's s3rver.
    globalSetup: ['src/testing/blob-store-global-setup.ts'],
    setupFiles: ['src/testing/blob-store-per-file.ts'],
    env: {
      NODE_ENV: 'test',
      PGLITE_DATA_DIR: 'memory://',
    },
  },
});
