// Holding a 50 MB site must not cost the local cloud more than ~3× its size in memory. Measured in a
// process of its own (started as `npm run cloud` is), after garbage collection: heap and Buffers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AwsClient } from 'aws4fetch';
import JSZip from 'jszip';
import { LOCAL_CLOUDFLARE } from '@/lib/platforms/cloudflare/local';
import { LOCAL_AWS } from '@/lib/platforms/amplify/local';
import { fetchSite, moveCloudClock } from '@/testing/cloud';
import { freePortBelowEphemeralRange } from '@/testing/free-port';

const PORT = freePortBelowEphemeralRange();
const URL_ = `http://127.0.0.1:${PORT}`;
let child: ChildProcess;

beforeAll(async () => {
  child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'src/emulator/main.ts'], {
    env: { ...process.env, CLOUD_PORT: String(PORT), CLOUD_PERSIST: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('Local cloud on') && resolve());
    child.once('exit', (code) => reject(new Error(`the cloud exited with ${code}`)));
  });
}, 30_000);
afterAll(() => {
  child.kill();
});

/**
 * What the cloud holds after a full collection: its JS heap and the memory outside it (Buffers).
 * Not RSS: freed memory the allocator keeps for later stays in RSS, more or less of it depending on
 * how busy the machine was while the site arrived.
 */
const held = async () => {
  const { memory } = (await (await fetch(`${URL_}/_emulator/gc`, { method: 'POST' })).json()) as { memory: { heapUsed: number; external: number } };
  return memory.heapUsed + memory.external;
};
const api = (path: string, init: RequestInit = {}, token = LOCAL_CLOUDFLARE.platformToken) =>
  fetch(`${URL_}/client/v4/accounts/${LOCAL_CLOUDFLARE.accountId}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });

it('holds a 50 MB Cloudflare site in less than 3× its size', async () => {
  const files = Array.from({ length: 50 }, (_, i) => ({ path: `/assets/blob-${i}.bin`, bytes: randomBytes(1024 * 1024) }));
  files.push({ path: '/index.html', bytes: Buffer.from('<h1>big</h1>') });
  const siteBytes = files.reduce((n, f) => n + f.bytes.length, 0);
  const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex').slice(0, 32);
  const before = await held();

  const session = await (
    await api('/workers/scripts/big/assets-upload-session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ manifest: Object.fromEntries(files.map((f) => [f.path, { hash: hash(f.bytes), size: f.bytes.length }])) }),
    })
  ).json();
  const byHash = new Map(files.map((f) => [hash(f.bytes), f]));
  let completion: string = session.result.jwt;
  for (const bucket of session.result.buckets as string[][]) {
    const form = new FormData();
    for (const h of bucket) form.append(h, new File([byHash.get(h)!.bytes.toString('base64')], h, { type: 'application/octet-stream' }));
    const up = await (await api('/workers/assets/upload?base64=true', { method: 'POST', body: form }, session.result.jwt)).json();
    if (up.result.jwt) completion = up.result.jwt;
  }
  const form = new FormData();
  form.append(
    'metadata',
    new File([JSON.stringify({ assets: { jwt: completion }, compatibility_date: '2026-11-01' })], 'metadata.json', { type: 'application/json' }),
  );
  expect((await api('/workers/scripts/big', { method: 'PUT', body: form })).status).toBe(200);
  await api('/workers/scripts/big/subdomain', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cloudflare-workers-script-api-date': '2025-08-01' },
    body: '{"enabled":true,"previews_enabled":false}',
  });

  const served = await fetchSite(URL_, `big.${LOCAL_CLOUDFLARE.subdomain}.workers.localhost`, '/assets/blob-7.bin');
  expect(served.body.equals(files[7]!.bytes)).toBe(true);
  const kept = (await held()) - before;
  expect(kept, `held ${(kept / 1e6).toFixed(1)} MB for a ${(siteBytes / 1e6).toFixed(1)} MB site`).toBeLessThan(3 * siteBytes);
}, 60_000);

it('holds a 50 MB Amplify site (its zip and its files) in less than 3× its size', async () => {
  const zip = new JSZip();
  const files = Array.from({ length: 50 }, (_, i) => ({ path: `assets/blob-${i}.bin`, bytes: randomBytes(1024 * 1024) }));
  for (const f of files) zip.file(f.path, f.bytes, { compression: 'STORE' });
  zip.file('index.html', '<h1>big</h1>');
  const body = await zip.generateAsync({ type: 'nodebuffer' });
  const siteBytes = body.length;
  const aws = new AwsClient({ ...LOCAL_AWS.platform, service: 'amplify', region: LOCAL_AWS.region, retries: 0 });
  const app = LOCAL_AWS.platformAppId;
  const before = await held();

  await aws.fetch(`${URL_}/apps/${app}/branches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ branchName: 'big' }),
  });
  const created = await (
    await aws.fetch(`${URL_}/apps/${app}/branches/big/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  ).json();
  expect((await fetch(created.zipUploadUrl, { method: 'PUT', body: new Uint8Array(body) })).status).toBe(200);
  await aws.fetch(`${URL_}/apps/${app}/branches/big/deployments/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jobId: created.jobId }),
  });
  for (let status = ''; status !== 'SUCCEED';) {
    // The job moves with the cloud's clock (a step is 1 s there); the zip is read asynchronously.
    await moveCloudClock(URL_, { advanceMs: 500 });
    status = (await (await aws.fetch(`${URL_}/apps/${app}/branches/big/jobs/${created.jobId}`)).json()).job.summary.status;
    expect(status).not.toBe('FAILED');
  }
  const served = await fetchSite(URL_, `big.${app}.amplifyapp.localhost`, '/assets/blob-7.bin');
  expect(served.body.equals(files[7]!.bytes)).toBe(true);
  const kept = (await held()) - before;
  expect(kept, `held ${(kept / 1e6).toFixed(1)} MB for a ${(siteBytes / 1e6).toFixed(1)} MB site`).toBeLessThan(3 * siteBytes);
}, 60_000);
