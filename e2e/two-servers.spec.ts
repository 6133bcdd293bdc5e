// Two `next start` processes on one database: a deployment created on one is watched to the end on
// the other; when the first dies mid-deployment, the second finishes it — watched, or with nobody
// watching (its sweep).
import { spawn, type ChildProcess } from 'node:child_process';
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { CLOUD_URL, e2eServerEnv } from '../playwright.config';
import { fetchSite } from '../src/testing/cloud';
import { freePortsSync } from './free-ports';

test.describe.configure({ mode: 'serial' });

/** Two free ports (the system's), picked when this file loads. */
const PORTS = freePortsSync(2) as [number, number];
const servers = new Map<number, ChildProcess>();

/** The second server sweeps every second; the first never (it is the one that dies). */
const SWEEP_MS: Record<number, string> = { [PORTS[0]]: '0', [PORTS[1]]: '1000' };

async function startServer(port: number): Promise<void> {
  const taken = await fetch(`http://127.0.0.1:${port}/api/health`).then(
    () => true,
    () => false,
  );
  if (taken) throw new Error(`Port ${port} is already in use: stop what runs there first.`);
  // The server process itself (not an npx wrapper), so that killing it kills the server.
  const child = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...e2eServerEnv, NODE_ENV: 'production', DEPLOY_LEASE_MS: '3000', DEPLOY_SWEEP_MS: SWEEP_MS[port]! },
    stdio: 'ignore',
  });
  servers.set(port, child);
  for (let i = 0; i < 120; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`next start on ${port} did not come up`);
}

test.beforeAll(async () => {
  expect(process.env.DATABASE_URL, 'Two servers share one PostgreSQL: run the browser tests with DATABASE_URL set (bash .ci/run does).').toBeTruthy();
  await Promise.all(PORTS.map(startServer));
});
test.afterAll(() => {
  for (const child of servers.values()) child.kill('SIGKILL');
});

async function signUp(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/auth/sign-up`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `two-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@huskit.test`, password: 'correct horse battery staple' }),
  });
  expect(res.status).toBe(201);
  return res.headers.getSetCookie()[0]!.split(';')[0]!;
}

async function deploy(port: number, cookie: string, html: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/cloudflare-deploy`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ authMode: 'platform-managed', projectName: 'Two servers', chatId: `two-${Date.now()}`, files: { 'index.html': html } }),
  });
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body.deploymentId;
}

/** Reads the SSE stream of one server until the deployment is finished; answers the last payload. */
async function watchUntilDone(port: number, cookie: string, id: string): Promise<{ status: string; url?: string }> {
  let lastId = '';
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/api/deployments/${id}/events`, { headers: { cookie, ...(lastId ? { 'last-event-id': lastId } : {}) } });
    expect(res.status).toBe(200);
    const text = await res.text(); // the stream ends after a terminal status
    for (const block of text.split('\n\n')) {
      const id = /^id: (\d+)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (id) lastId = id;
      if (data) {
        const payload = JSON.parse(data);
        if (['ready', 'error', 'canceled'].includes(payload.status)) return payload;
      }
    }
  }
}

async function served(url: string): Promise<string> {
  return (await fetchSite(CLOUD_URL, new URL(url).hostname, '/')).body.toString();
}

test('created on one server, watched to ready on the other', async () => {
  const cookie = await signUp(PORTS[0]);
  const id = await deploy(PORTS[0], cookie, '<h1>from A, watched on B</h1>');
  const done = await watchUntilDone(PORTS[1], cookie, id);
  expect(done.status).toBe('ready');
  expect(await served(done.url!)).toBe('<h1>from A, watched on B</h1>');
});

test('the first server dies mid-deployment; the second finishes it', async () => {
  const cookie = await signUp(PORTS[0]);
  // Slow the upload so the first server is surely in the middle when it dies.
  await fetch(`${CLOUD_URL}/_emulator/faults`, {
    method: 'POST',
    body: JSON.stringify({ rules: [{ target: 'cloudflare', route: '/workers/assets/upload', kind: 'delay', delayMs: 4000, count: 1 }] }),
  });
  const id = await deploy(PORTS[0], cookie, '<h1>finished by B</h1>');
  for (let step = ''; step !== 'upload';) {
    await new Promise((r) => setTimeout(r, 100));
    step = (await (await fetch(`http://127.0.0.1:${PORTS[0]}/api/deploy-status?deploymentId=${id}`, { headers: { cookie } })).json()).step;
  }
  servers.get(PORTS[0])!.kill('SIGKILL');
  const done = await watchUntilDone(PORTS[1], cookie, id);
  expect(done.status).toBe('ready');
  expect(await served(done.url!)).toBe('<h1>finished by B</h1>');
  const status = await (await fetch(`http://127.0.0.1:${PORTS[1]}/api/deploy-status?deploymentId=${id}`, { headers: { cookie } })).json();
  expect(status).toMatchObject({ status: 'ready', url: done.url });
});

test("the first server dies right after a REST create; nobody polls or watches; the second server's sweep finishes it", async () => {
  test.setTimeout(180_000); // the 2 minutes it may take, and the restart
  await startServer(PORTS[0]); // the previous test killed it
  const cookie = await signUp(PORTS[0]);
  // Slow the upload so the first server is surely not done when it dies.
  await fetch(`${CLOUD_URL}/_emulator/faults`, {
    method: 'POST',
    body: JSON.stringify({ rules: [{ target: 'cloudflare', route: '/workers/assets/upload', kind: 'delay', delayMs: 4000, count: 1 }] }),
  });
  const id = await deploy(PORTS[0], cookie, '<h1>finished by the sweep</h1>');
  servers.get(PORTS[0])!.kill('SIGKILL');
  const started = Date.now();

  // Read the row straight from the database, never through a server: a status read or a stream would
  // re-drive it itself.
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    let status = '';
    while (status !== 'ready' && status !== 'error' && Date.now() - started < 120_000) {
      await new Promise((r) => setTimeout(r, 500));
      status = (await db.query<{ status: string }>('select status from deployments where id = $1', [id])).rows[0]!.status;
    }
    expect(status, 'the sweep finished it within 2 minutes').toBe('ready');
  } finally {
    await db.end();
  }
  const res = await fetch(`http://127.0.0.1:${PORTS[1]}/api/deploy-status?deploymentId=${id}`, { headers: { cookie } });
  const body = await res.json();
  expect(body).toMatchObject({ status: 'ready' });
  expect(await served(body.url)).toBe('<h1>finished by the sweep</h1>');
});
