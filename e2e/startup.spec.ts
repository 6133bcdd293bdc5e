import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { e2eServerEnv } from '../playwright.config';

test('a production start without SESSION_SECRET stops with a message naming it', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...e2eServerEnv, NODE_ENV: 'production' };
  delete env.SESSION_SECRET;
  const child = spawn('npx', ['next', 'start', '-H', '127.0.0.1', '-p', '3191'], { env });
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
  expect(code).toBe(1);
  expect(output).toContain('Configuration error: SESSION_SECRET is missing');
});
