import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { e2eServerEnv } from '../playwright.config';

/** `next start` in production with this environment: its exit code and what it printed. */
async function productionStart(change: (env: NodeJS.ProcessEnv) => void): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...e2eServerEnv, NODE_ENV: 'production' };
  change(env);
  // Port 0: the server must stop before it listens; if it did not, it takes a free port and is killed.
  const child = spawn('npx', ['next', 'start', '-H', '127.0.0.1', '-p', '0'], { env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 30_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, output };
}

test('a production start without SESSION_SECRET stops with a message naming it', async () => {
  const { code, output } = await productionStart((env) => delete env.SESSION_SECRET);
  expect(code).toBe(1);
  expect(output).toContain('Configuration error: SESSION_SECRET is missing');
});

test('a production start with the development encryption key under another id stops, naming ENCRYPTION_KEYS', async () => {
  // The development key's bytes (src/server/env.ts), re-labelled: refused by its bytes, not its name.
  const { code, output } = await productionStart((env) => (env.ENCRYPTION_KEYS = 'k9:aHVza2l0LWRldi1vbmx5LWVuY3J5cHRpb24ta2V5ISE='));
  expect(code).toBe(1);
  expect(output).toContain('Configuration error: ENCRYPTION_KEYS holds the development key (as "k9")');
});
