// `npm run dev` opened at http://127.0.0.1 instead of localhost: Next's dev server must serve its own
// scripts to that origin (allowedDevOrigins), or the page never hydrates and no form works. Its own
// `next dev` on a free port, with its own local cloud and embedded database, as a new user runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { defaultCloudConfig } from '../src/emulator/config';
import { startCloud, type RunningCloud } from '../src/emulator/server';
import { fetchSite } from '../src/testing/cloud';
import { freePortsSync } from './free-ports';

// Compiling each page on first visit is slow on a small machine.
test.setTimeout(600_000);

let cloud: RunningCloud;
let dev: ChildProcess;
let origin: string;
let output = '';
/** The dev server's embedded database: 40 MB, removed after the tests. */
let dataDir: string | undefined;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  cloud = await startCloud(defaultCloudConfig({ port: 0 }));
  const [port] = freePortsSync(1) as [number];
  origin = `http://127.0.0.1:${port}`;
  // Development defaults only (what `npm run dev` gets): no secrets, no DATABASE_URL, the local cloud's credentials.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', NEXT_TELEMETRY_DISABLED: '1' };
  dataDir = mkdtempSync(path.join(tmpdir(), 'huskit-dev-e2e-'));
  Object.assign(env, { PORT: String(port), CLOUD_PORT: String(cloud.port), PGLITE_DATA_DIR: dataDir });
  // As `npm run dev` starts it: no -H (Next trusts the host it was told to bind, so `-H 127.0.0.1`
  // would hide the problem). Its own process group, so that stopping it stops the workers next dev starts.
  dev = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'dev', '-p', String(port)], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout!.on('data', (d) => (output += d));
  dev.stderr!.on('data', (d) => (output += d));
  for (let i = 0; ; i++) {
    if (
      await fetch(`${origin}/api/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (dev.exitCode !== null || i > 480) throw new Error(`next dev did not come up on ${origin}:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
});

test.afterEach(async ({}, info) => {
  // What next dev said is the first thing to read when this fails (a blocked origin, a reload loop).
  if (info.status !== info.expectedStatus) await info.attach('next-dev-output', { body: output.slice(-20_000), contentType: 'text/plain' });
});

test.afterAll(async () => {
  if (dev?.pid && dev.exitCode === null) {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    process.kill(-dev.pid, 'SIGKILL');
    await exited;
  }
  await cloud?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('next dev opened at 127.0.0.1: the page hydrates; sign up, create a site, quick deploy to Cloudflare', async ({ page }) => {
  await page.goto(`${origin}/sign-up`);
  await page.getByLabel('Email').fill(`dev-${Date.now()}@huskit.test`);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Create account' }).click();
  // Without hydration the form would fall back to a GET with the password in the URL.
  await expect(page).toHaveURL(`${origin}/dashboard`, { timeout: 120_000 });

  await page.goto(`${origin}/sites`);
  await page.getByLabel('Name').fill('Dev landing');
  await page.getByLabel('Landing page').check();
  await page.getByRole('button', { name: 'Create from template' }).click();
  await expect(page.getByRole('heading', { name: 'Dev landing' })).toBeVisible({ timeout: 120_000 });

  await page.getByRole('button', { name: 'Deploy ▾' }).click();
  await page.getByRole('menuitem', { name: /Cloudflare/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/Quick deploy/).check();
  await dialog.getByRole('button', { name: 'Deploy now' }).click();
  await expect(dialog.getByTestId('live-url')).toBeVisible({ timeout: 120_000 });
  const url = (await dialog.getByTestId('live-url').textContent())!.trim();
  expect((await fetchSite(cloud.url, new URL(url).hostname, '/')).body.toString()).toContain('Welcome!');
  // Next's dev server says so when it blocks its own resources for an origin.
  expect(output).not.toContain('Blocked cross-origin request');
});
