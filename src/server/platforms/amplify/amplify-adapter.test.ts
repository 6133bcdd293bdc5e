// The Amplify adapter against the local cloud, driven directly with a small DeployContext: both modes,
// redeploys, jobs left unfinished, resumed attempts, refusals before any request, failed jobs, quotas
// and injected faults — always checking the bytes the site then serves.
import { useLocalCloud } from '@/testing/local-cloud';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClient } from 'aws4fetch';
import JSZip from 'jszip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AMPLIFY_REGIONS, isAmplifyRegion } from '@/lib/platforms/amplify/regions';
import { LOCAL_AWS } from '@/lib/platforms/amplify/local';
import { contentTypeFor } from '@/lib/site-files';
import { cloudStats, fetchSite, hostOf, setFaults, type CloudStats } from '@/testing/cloud';
import { memoryDeployContext } from '@/testing/deploy-context';
import type { AdapterSettings, DeployOutcome } from '../adapter';
import { bytesBody, DEFAULT_RETRY, PlatformError } from '../http';
import { amplifyAdapter, type AmplifyCredentials } from './adapter';
import { AmplifyClient, uploadTimeoutMs } from './client';
import { amplifyError } from './errors';
import { AMPLIFY_JOB_POLLING } from './job-wait';
import { processThreadPool } from '../../threads/pool';
import { zipSite } from './zip';

const cloud = useLocalCloud((config) => {
  // Small enough that the quota test fills an app quickly; the shared app stays well below it here.
  config.amplify.branchLimit = 20;
});
/** Short retries and polls, handed to every call as a deployment's settings would be. */
const settings: AdapterSettings = {
  retries: { ...DEFAULT_RETRY, baseDelayMs: 5, maxDelayMs: 20, attempts: 6 },
  polling: { ...AMPLIFY_JOB_POLLING, intervalMs: 25 },
};

afterEach(() => setFaults(cloud().url, { rules: [] }));

const PLATFORM: AmplifyCredentials = { ...LOCAL_AWS.platform, region: LOCAL_AWS.region, appId: LOCAL_AWS.platformAppId };
const USER: AmplifyCredentials = { ...LOCAL_AWS.user, region: LOCAL_AWS.region };
const TEMPORARY: AmplifyCredentials = { ...LOCAL_AWS.userTemporary, region: LOCAL_AWS.region };

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082',
  'hex',
);

type Files = Record<string, string | Buffer>;

function siteFiles(tag: string): Files {
  return {
    'index.html': `<!doctype html><link rel="stylesheet" href="/assets/css/site.css"><h1>${tag}</h1>`,
    'about/index.html': `<h1>About ${tag}</h1>`,
    'assets/css/site.css': 'body { font-family: Brand; }',
    'assets/js/app.js': `window.tag = ${JSON.stringify(tag)};`,
    'assets/img/logo.png': PNG,
    'assets/fonts/brand.woff2': Buffer.concat([Buffer.from('wOF2'), randomBytes(3000)]),
    'café/ménu.txt': `crème brûlée — ${tag}`,
    'docs/guide/deep/er/page.json': JSON.stringify({ tag }),
  };
}

/** Every file of the site, byte for byte, with the type of its extension. */
async function expectServed(outcome: DeployOutcome, files: Files) {
  for (const [path, content] of Object.entries(files)) {
    const res = await fetchSite(cloud().url, hostOf(outcome.url), `/${encodeURI(path)}`);
    const expected = Buffer.isBuffer(content) ? content : Buffer.from(content);
    expect(res.status, path).toBe(200);
    expect(res.body.equals(expected), path).toBe(true);
    expect(res.headers['content-type'], path).toBe(contentTypeFor(path)!.split(';')[0]);
  }
  const root = await fetchSite(cloud().url, hostOf(outcome.url), '/');
  expect(root.body.toString()).toBe(String(files['index.html']));
}

/** Requests of exactly one route (requestCount matches substrings: /deployments would include /deployments/start). */
function routeCount(stats: CloudStats, route: string): number {
  return Object.values(stats.requests[route] ?? {}).reduce((n, c) => n + c, 0);
}
const totalRequests = (stats: CloudStats) => Object.values(stats.requests).reduce((n, byStatus) => n + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);
const CREATE_DEPLOYMENT = 'amplify POST /apps/:appId/branches/:branchName/deployments';
const START_DEPLOYMENT = 'amplify POST /apps/:appId/branches/:branchName/deployments/start';
const CREATE_BRANCH = 'amplify POST /apps/:appId/branches';
const S3_PUT = 's3 PUT /_s3/:bucket/:appId/:object';

const signer = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
  new AwsClient({ ...credentials, service: 'amplify', region: LOCAL_AWS.region, retries: 0 });

async function api(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, method: string, path: string, body?: unknown) {
  const res = await signer(credentials).fetch(`${cloud().url}${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return (await res.json()) as Record<string, any>;
}

const listJobs = async (credentials: AmplifyCredentials, appId: string, branch: string) =>
  (await api(credentials, 'GET', `/apps/${appId}/branches/${encodeURIComponent(branch)}/jobs`)).jobSummaries as { jobId: string; status: string }[];

/** The zip of a site's files, as the adapter writes it, read back from its file. */
async function zipOf(ctx: Parameters<typeof zipSite>[0]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'zip-test-'));
  try {
    const size = await zipSite(ctx, join(dir, 'site.zip'));
    const bytes = await readFile(join(dir, 'site.zip'));
    expect(bytes.length).toBe(size);
    return bytes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The entries as an unzipper sees them: from the central directory at the end of the archive. */
function zipEntries(bytes: Uint8Array): { name: string; method: number; utf8: boolean }[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(end + 10);
  const entries = [];
  for (let i = 0, off = buf.readUInt32LE(end + 16); i < count; i++) {
    expect(buf.readUInt32LE(off)).toBe(0x02014b50);
    const nameLength = buf.readUInt16LE(off + 28);
    entries.push({
      name: buf.subarray(off + 46, off + 46 + nameLength).toString('utf8'),
      method: buf.readUInt16LE(off + 10),
      utf8: (buf.readUInt16LE(off + 8) & 0x800) !== 0,
    });
    off += 46 + nameLength + buf.readUInt16LE(off + 30) + buf.readUInt16LE(off + 32);
  }
  return entries;
}

describe('platform-managed (the shared app)', () => {
  it('deploys nested folders, a unicode name, a PNG and a woff2 font to an hs- branch and serves every byte', async () => {
    const files = siteFiles('pm');
    const before = await cloudStats(cloud().url);
    const h = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files,
      siteName: 'A Very Long Project Name — With Ünicode & Symbols, Far Beyond Sixty-Three Characters!',
    });
    const outcome = await amplifyAdapter.deploy(h.ctx);

    const branch = outcome.target.externalId;
    // Named by id alone: the user's words never reach the shared app's host names.
    expect(branch).toMatch(/^hs-[0-9a-f]{12}$/);
    expect(branch.length).toBeLessThanOrEqual(63);
    expect(branch.endsWith(h.ctx.siteId.replace(/-/g, '').slice(0, 12))).toBe(true);
    expect(outcome.target.externalProjectId).toBe(LOCAL_AWS.platformAppId);
    expect(outcome.url).toBe(`http://${branch}.${LOCAL_AWS.platformAppId}.amplifyapp.localhost:${cloud().port}`);
    await expectServed(outcome, files);

    // Progress only moves forward, through every step, and the reported upload size is what S3 received.
    const progress = h.events.map((e) => e.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    for (const step of ['app', 'branch', 'jobs', 'zip', 'upload', 'start', 'build']) expect(h.events.map((e) => e.step)).toContain(step);
    const uploaded = Number(/Uploaded (\d+) bytes/.exec(h.events.map((e) => e.message).join('\n'))?.[1]);
    const after = await cloudStats(cloud().url);
    expect(uploaded).toBeGreaterThan(0);
    expect((after.bytesReceived[S3_PUT] ?? 0) - (before.bytesReceived[S3_PUT] ?? 0)).toBe(uploaded);
    expect(routeCount(after, CREATE_DEPLOYMENT) - routeCount(before, CREATE_DEPLOYMENT)).toBe(1);
  });

  it('zips at the root: already-compressed types stored, the rest deflated, unicode names flagged UTF-8', async () => {
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('zip') });
    const entries = zipEntries(await zipOf(h.ctx));
    expect(entries.map((e) => e.name)).toEqual(Object.keys(h.ctx.manifest).sort());
    const method = Object.fromEntries(entries.map((e) => [e.name, e.method]));
    expect(method['index.html']).toBe(8);
    expect(method['assets/css/site.css']).toBe(8);
    expect(method['assets/img/logo.png']).toBe(0);
    expect(method['assets/fonts/brand.woff2']).toBe(0);
    expect(entries.find((e) => e.name === 'café/ménu.txt')?.utf8).toBe(true);
  });

  it('zips 300 files and two large ones (deflated in batches on the worker threads, streamed) in order, each one unzipping to its bytes and CRC', async () => {
    const files: Record<string, Buffer> = {};
    // ~1.2 MB of pages: enough to start the worker threads; a stored PNG every tenth file, in the same batches.
    for (let i = 0; i < 300; i++)
      files[`p/${String(i).padStart(3, '0')}.${i % 10 === 0 ? 'png' : 'html'}`] = i % 10 === 0 ? randomBytes(3000) : Buffer.from(`<p>${i}</p>`.repeat(3 * i));
    files['index.html'] = Buffer.from('<h1>many</h1>');
    files['empty.txt'] = Buffer.alloc(0);
    // Past the size read whole: one deflated through a stream, one stored as it is, between small files.
    files['p/150-large.js'] = Buffer.from(`export const big = ${JSON.stringify(randomBytes(900_000).toString('hex'))};`);
    files['p/151-large.webp'] = randomBytes(1_500_000);
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files });
    // The process's worker threads (one per core by default; this machine has two) take the batches.
    const sent = processThreadPool().tasksSent;
    const bytes = await zipOf(h.ctx);
    expect(processThreadPool().tasksSent).toBeGreaterThan(sent);
    const entries = zipEntries(bytes);
    expect(entries.map((e) => e.name)).toEqual(Object.keys(files).sort());
    expect(entries.find((e) => e.name === 'p/150-large.js')?.method).toBe(8);
    expect(entries.find((e) => e.name === 'p/151-large.webp')?.method).toBe(0);
    const unzipped = await JSZip.loadAsync(bytes, { checkCRC32: true });
    for (const [path, content] of Object.entries(files)) {
      const entry = unzipped.file(path)!;
      expect((await entry.async('nodebuffer')).equals(content), path).toBe(true);
      // A regular file, rw-r--r--, as unzip on Amplify's side will create it.
      expect(entry.unixPermissions, path).toBe(0o100644);
    }
    // The same files make the same zip.
    expect((await zipOf(h.ctx)).equals(bytes)).toBe(true);
  });

  it("a file that cannot be read fails the zip with the store's error, and nothing is left pending", async () => {
    const files: Record<string, Buffer> = { 'index.html': Buffer.from('<h1>x</h1>') };
    for (let i = 0; i < 40; i++) files[`p/${i}.html`] = Buffer.from(`<p>${i}</p>`);
    files['p/big.html'] = Buffer.alloc(2_000_000, 'a');
    for (const broken of ['p/20.html', 'p/big.html']) {
      const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files });
      const openBlob = h.ctx.openBlob;
      h.ctx.openBlob = async (sha256) => {
        if (sha256 === h.ctx.manifest[broken]!.sha256) throw new Error(`blob ${broken} is missing`);
        return openBlob(sha256);
      };
      await expect(zipOf(h.ctx)).rejects.toThrow(`blob ${broken} is missing`);
    }
  });

  it('stops a job left unfinished on the branch, then deploys', async () => {
    const siteId = randomUUID();
    const first = await amplifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('one'), siteId }).ctx,
    );
    const { appId, branch } = { appId: first.target.externalProjectId, branch: first.target.externalId };
    // Someone created a deployment and never started it: it blocks CreateDeployment on the branch.
    const orphan = await api(PLATFORM, 'POST', `/apps/${appId}/branches/${branch}/deployments`, {});
    expect((await listJobs(PLATFORM, appId, branch)).find((j) => j.jobId === orphan.jobId)?.status).toBe('PENDING');

    const files = siteFiles('two');
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId, target: first.target });
    const second = await amplifyAdapter.deploy(h.ctx);
    expect(second).toEqual(first);
    expect(h.events.some((e) => e.message.includes(`Stopping unfinished Amplify job ${orphan.jobId}`))).toBe(true);
    const jobs = await listJobs(PLATFORM, appId, branch);
    expect(jobs.map((j) => [j.jobId, j.status])).toEqual([
      [String(Number(orphan.jobId) + 1), 'SUCCEED'],
      [orphan.jobId, 'CANCELLED'],
      ['1', 'SUCCEED'],
    ]);
    await expectServed(second, files);
  });

  it('resumes a started job by polling it, without a new deployment', async () => {
    const siteId = randomUUID();
    const files = siteFiles('resume');
    const crash = new Error('the process died while polling');
    const first = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files,
      siteId,
      onReport: (step) => {
        if (step === 'build') throw crash;
      },
    });
    await expect(amplifyAdapter.deploy(first.ctx)).rejects.toBe(crash);
    expect(first.checkpoint).toMatchObject({ appId: LOCAL_AWS.platformAppId, jobId: '1', started: true });

    const before = await cloudStats(cloud().url);
    const resumed = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId, checkpoint: first.checkpoint });
    const outcome = await amplifyAdapter.deploy(resumed.ctx);
    const after = await cloudStats(cloud().url);
    expect(routeCount(after, CREATE_DEPLOYMENT) - routeCount(before, CREATE_DEPLOYMENT)).toBe(0);
    expect(routeCount(after, START_DEPLOYMENT) - routeCount(before, START_DEPLOYMENT)).toBe(0);
    expect(routeCount(after, S3_PUT) - routeCount(before, S3_PUT)).toBe(0);
    expect(routeCount(after, CREATE_BRANCH) - routeCount(before, CREATE_BRANCH)).toBe(0);
    await expectServed(outcome, files);
  });

  it('a job created but never started by a crashed attempt is stopped and replaced', async () => {
    const siteId = randomUUID();
    const files = siteFiles('restart');
    const crash = new Error('the process died after CreateDeployment');
    const first = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files,
      siteId,
      onSave: (patch) => {
        if (patch.jobId && patch.started === false) {
          throw crash;
        }
      },
    });
    await expect(amplifyAdapter.deploy(first.ctx)).rejects.toBe(crash);
    // The runner's checkpoint only has what was saved; the crash hit the save of the job.
    const checkpoint = { ...first.checkpoint, jobId: '1', started: false };

    const before = await cloudStats(cloud().url);
    const outcome = await amplifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId, checkpoint }).ctx,
    );
    const after = await cloudStats(cloud().url);
    expect(routeCount(after, CREATE_DEPLOYMENT) - routeCount(before, CREATE_DEPLOYMENT)).toBe(1);
    expect((await listJobs(PLATFORM, outcome.target.externalProjectId, outcome.target.externalId)).map((j) => [j.jobId, j.status])).toEqual([
      ['2', 'SUCCEED'],
      ['1', 'CANCELLED'],
    ]);
    await expectServed(outcome, files);
  });

  it('a FAILED job becomes a clear error, and the next deploy is not blocked by it', async () => {
    const siteId = randomUUID();
    // S3 "accepts" the upload without storing it: the job starts without a zip and Amplify fails it.
    await setFaults(cloud().url, { rules: [{ target: 's3', kind: 'status', status: 200, count: 1 }] });
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('fail'), siteId });
    const err = await amplifyAdapter.deploy(h.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).kind).toBe('bad_request');
    expect((err as PlatformError).message).toMatch(/^Amplify could not publish the site: No deployment artifact was uploaded/);
    expect((err as PlatformError).platformMessage).toMatch(/No deployment artifact/);
    expect(h.checkpoint.jobId).toBeNull();

    await setFaults(cloud().url, { rules: [] });
    const files = siteFiles('after-fail');
    const outcome = await amplifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId, checkpoint: h.checkpoint }).ctx,
    );
    await expectServed(outcome, files);
  });

  it('gives up on a job that takes too long: stops it and fails with a timeout', async () => {
    const timingOut: AdapterSettings = { ...settings, polling: { intervalMs: 25, maxMs: 1 } };
    const h = memoryDeployContext({ settings: timingOut, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('slow') });
    const err = await amplifyAdapter.deploy(h.ctx).catch((e: unknown) => e);
    expect((err as PlatformError).kind).toBe('timeout');
    expect(h.checkpoint).toMatchObject({ jobId: null, started: false });
    const branch = h.checkpoint.branch as string;
    expect((await listJobs(PLATFORM, LOCAL_AWS.platformAppId, branch)).map((j) => [j.jobId, j.status])).toEqual([['1', 'CANCELLED']]);
  });

  it('lists only the hs- branches of the shared app as managed resources', async () => {
    await api(PLATFORM, 'POST', `/apps/${LOCAL_AWS.platformAppId}/branches`, { branchName: 'not-ours' });
    const outcome = await amplifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('listed') }).ctx,
    );
    const resources = await amplifyAdapter.listManagedResources(PLATFORM, settings);
    expect(resources).toContainEqual(outcome.target);
    expect(resources.length).toBeGreaterThan(1);
    expect(resources.every((r) => r.externalProjectId === LOCAL_AWS.platformAppId && r.externalId!.startsWith('hs-'))).toBe(true);
    expect(resources.some((r) => r.externalId === 'not-ours')).toBe(false);
  });

  it('removes the branch: the site is gone, and removing again is fine', async () => {
    const outcome = await amplifyAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('rm') }).ctx);
    expect((await fetchSite(cloud().url, hostOf(outcome.url), '/')).status).toBe(200);
    await amplifyAdapter.remove(PLATFORM, outcome.target, 'platform-managed', settings);
    expect((await fetchSite(cloud().url, hostOf(outcome.url), '/')).status).toBe(404);
    await expect(amplifyAdapter.remove(PLATFORM, outcome.target, 'platform-managed', settings)).resolves.toBeUndefined();
    // A branch of the shared app that is not a quick-deploy one is never deleted.
    await api(PLATFORM, 'POST', `/apps/${LOCAL_AWS.platformAppId}/branches`, { branchName: 'staff-only' });
    const refused = await amplifyAdapter
      .remove(PLATFORM, { externalProjectId: LOCAL_AWS.platformAppId, externalId: 'staff-only' }, 'platform-managed')
      .catch((e: unknown) => e);
    expect((refused as PlatformError).kind).toBe('bad_request');
    await api(PLATFORM, 'GET', `/apps/${LOCAL_AWS.platformAppId}/branches/staff-only`);
  });
});

describe("user-token (the user's own account)", () => {
  it('creates one app named after the site, then redeploys into the same app and branch at the same URL', async () => {
    const siteId = randomUUID();
    const appsBefore = (await api(USER, 'GET', '/apps?maxResults=100')).apps.length as number;
    const files1 = siteFiles('v1');
    const first = await amplifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files: files1, siteId, siteName: 'My Portfolio ✨' }).ctx,
    );
    expect(first.target.externalId).toBe('main');
    const apps = (await api(USER, 'GET', '/apps?maxResults=100')).apps as { appId: string; name: string }[];
    expect(apps.length).toBe(appsBefore + 1);
    expect(apps.find((a) => a.appId === first.target.externalProjectId)?.name).toBe('My Portfolio ✨');
    expect(first.url).toBe(`http://main.${first.target.externalProjectId}.amplifyapp.localhost:${cloud().port}`);
    await expectServed(first, files1);

    const before = await cloudStats(cloud().url);
    const files2 = { ...siteFiles('v2'), 'new/page.html': '<p>new</p>' };
    const second = await amplifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files: files2, siteId, siteName: 'My Portfolio ✨', target: first.target }).ctx,
    );
    const after = await cloudStats(cloud().url);
    expect(second).toEqual(first);
    expect((await api(USER, 'GET', '/apps?maxResults=100')).apps.length).toBe(appsBefore + 1);
    expect(routeCount(after, 'amplify POST /apps') - routeCount(before, 'amplify POST /apps')).toBe(0);
    expect(routeCount(after, CREATE_BRANCH) - routeCount(before, CREATE_BRANCH)).toBe(0);
    await expectServed(second, files2);
  });

  it('temporary keys (ASIA…) with their session token connect and deploy; without it they are refused before any request, and AWS refuses them too', async () => {
    expect(await amplifyAdapter.verify(TEMPORARY, settings)).toMatchObject({ region: 'us-east-1' });
    const files = siteFiles('temporary');
    const outcome = await amplifyAdapter.deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: TEMPORARY, files }).ctx);
    await expectServed(outcome, files);
    // The token travels from the vault's record through parseCredentials.
    expect(amplifyAdapter.parseCredentials({ ...LOCAL_AWS.userTemporary, region: 'us-east-1' })).toEqual(TEMPORARY);

    const before = totalRequests(await cloudStats(cloud().url));
    const { sessionToken: _, ...withoutToken } = TEMPORARY;
    for (const attempt of [
      amplifyAdapter.verify(withoutToken, settings),
      amplifyAdapter.deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: withoutToken, files }).ctx),
    ]) {
      const err = await attempt.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      expect((err as PlatformError).kind).toBe('auth');
      expect((err as PlatformError).message).toMatch(
        /starts with ASIA: it is a temporary key, valid only with its session token\. Reconnect your account in Settings and paste the session token/,
      );
    }
    expect(totalRequests(await cloudStats(cloud().url))).toBe(before);
    // Sent anyway (or with a token that is not the one), AWS says the token is invalid: an auth error.
    const wrongToken = await amplifyAdapter.verify({ ...TEMPORARY, sessionToken: 'IQoJb3JpZ2luX2VjEHUa-not-the-token' }, settings).catch((e: unknown) => e);
    expect((wrongToken as PlatformError).kind).toBe('auth');
    expect((wrongToken as PlatformError).platformMessage).toBe('The security token included in the request is invalid.');
    const unsigned = await signer(withoutToken).fetch(`${cloud().url}/apps`);
    expect([unsigned.status, unsigned.headers.get('x-amzn-errortype')]).toEqual([403, 'UnrecognizedClientException']);
  });

  it('a lost CreateApp answer does not make a second app: the app marked for the site is found', async () => {
    const siteId = randomUUID();
    const crash = new Error('crashed right after CreateApp');
    const first = memoryDeployContext({
      settings,
      mode: 'user-token',
      credentials: USER,
      files: siteFiles('lost'),
      siteId,
      onSave: (patch) => {
        if (patch.appId) throw crash;
      },
    });
    await expect(amplifyAdapter.deploy(first.ctx)).rejects.toBe(crash);
    const appsBefore = (await api(USER, 'GET', '/apps?maxResults=100')).apps.length as number;
    // The checkpoint never got the app id.
    const files = siteFiles('found');
    const outcome = await amplifyAdapter.deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files, siteId }).ctx);
    expect((await api(USER, 'GET', '/apps?maxResults=100')).apps.length).toBe(appsBefore);
    await expectServed(outcome, files);
  });

  it('deploys into a given app id; a full app answers a quota error without retrying it', async () => {
    const { app } = await api(USER, 'POST', '/apps', { name: 'full', platform: 'WEB' });
    for (let i = 0; i < 20; i++) await api(USER, 'POST', `/apps/${app.appId}/branches`, { branchName: `b${i}` });
    const before = await cloudStats(cloud().url);
    const err = await amplifyAdapter
      .deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: { ...USER, appId: app.appId }, files: siteFiles('full') }).ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).kind).toBe('quota');
    expect((err as PlatformError).message).toMatch(/limit of 50 branches/);
    expect((err as PlatformError).platformMessage).toMatch(/maximum number of branches/);
    const after = await cloudStats(cloud().url);
    expect(routeCount(after, CREATE_BRANCH) - routeCount(before, CREATE_BRANCH)).toBe(1);

    await api(USER, 'DELETE', `/apps/${app.appId}/branches/b0`);
    const files = siteFiles('given');
    const outcome = await amplifyAdapter.deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: { ...USER, appId: app.appId }, files }).ctx);
    expect(outcome.target).toEqual({ externalProjectId: app.appId, externalId: 'main' });
    await expectServed(outcome, files);
  });
});

describe('refusals', () => {
  it('refuses a region outside the list and malformed app ids before any request', async () => {
    expect(isAmplifyRegion('us-east-1')).toBe(true);
    expect(AMPLIFY_REGIONS.length).toBeGreaterThanOrEqual(20);
    const before = totalRequests(await cloudStats(cloud().url));
    const cases: [string, Promise<unknown>][] = [
      [
        'region',
        amplifyAdapter.deploy(
          memoryDeployContext({ settings, mode: 'user-token', credentials: { ...USER, region: 'us-east-1.evil.example' }, files: siteFiles('x') }).ctx,
        ),
      ],
      ['region (verify)', amplifyAdapter.verify({ ...USER, region: 'us-east-1.evil.example' }, settings)],
      [
        'app id',
        amplifyAdapter.deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: { ...USER, appId: '../x' }, files: siteFiles('x') }).ctx),
      ],
      [
        'app id (target)',
        amplifyAdapter.deploy(
          memoryDeployContext({
            settings,
            mode: 'user-token',
            credentials: USER,
            files: siteFiles('x'),
            target: { externalProjectId: '../x', externalId: 'main' },
          }).ctx,
        ),
      ],
      ['app id (remove)', amplifyAdapter.remove(USER, { externalProjectId: 'd1/../../apps', externalId: 'main' }, 'user-token', settings)],
    ];
    for (const [name, promise] of cases) {
      const err = await promise.catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(PlatformError);
      expect((err as PlatformError).kind, name).toBe('bad_request');
    }
    const regionErr = await cases[0]![1].catch((e: PlatformError) => e);
    expect((regionErr as PlatformError).message).toMatch(/not one where Amplify Hosting is available.*Settings/);
    expect(totalRequests(await cloudStats(cloud().url))).toBe(before);
  });

  it('maps a wrong secret and an unknown key to auth, with AWS’s own words kept', async () => {
    const wrongSecret = await amplifyAdapter
      .deploy(
        memoryDeployContext({
          settings,
          mode: 'user-token',
          credentials: { ...USER, secretAccessKey: 'not/the/right/secret/key/000000000000000' },
          files: siteFiles('x'),
        }).ctx,
      )
      .catch((e: unknown) => e);
    expect(wrongSecret).toBeInstanceOf(PlatformError);
    expect((wrongSecret as PlatformError).kind).toBe('auth');
    expect((wrongSecret as PlatformError).message).toMatch(/^AWS refused the access keys\. Reconnect your account/);
    expect((wrongSecret as PlatformError).platformMessage).toMatch(/signature we calculated does not match/);

    const unknownKey = await amplifyAdapter.verify({ ...USER, accessKeyId: 'AKIAUNKNOWNKEY000000' }, settings).catch((e: unknown) => e);
    expect((unknownKey as PlatformError).kind).toBe('auth');
    expect((unknownKey as PlatformError).platformMessage).toMatch(/security token included in the request is invalid/);
  });

  it('maps Amplify error types to the taxonomy', () => {
    expect(amplifyError('GetApp', 404, 'NotFoundException', 'App d1 not found.').kind).toBe('not_found');
    expect(amplifyError('CreateDeployment', 400, 'BadRequestException', 'The last job(deployment) 3 was not finished').platformMessage).toBe(
      'The last job(deployment) 3 was not finished',
    );
    expect(amplifyError('CreateApp', 403, 'AccessDeniedException', 'User: x is not authorized').message).toMatch(/amplify:CreateApp/);
    expect(amplifyError('CreateApp', 429, 'LimitExceededException', 'maximum number of apps').kind).toBe('quota');
    expect(amplifyError('GetJob', 500, 'InternalFailureException', 'oops').kind).toBe('unavailable');
    expect(amplifyError('GetJob', 403, 'ExpiredTokenException', 'expired').kind).toBe('auth');
  });

  it('verifies connections with non-secret facts', async () => {
    expect(await amplifyAdapter.verify(PLATFORM, settings)).toEqual({
      region: 'us-east-1',
      regionName: 'US East (N. Virginia)',
      appId: LOCAL_AWS.platformAppId,
      appName: 'huskit-quick-deploy',
    });
    const user = await amplifyAdapter.verify(USER, settings);
    expect(user).toMatchObject({ region: 'us-east-1', regionName: 'US East (N. Virginia)' });
    expect(Number(user.apps)).toBeGreaterThanOrEqual(0);
    const missing = await amplifyAdapter.verify({ ...USER, appId: 'd0000000000000' }, settings).catch((e: unknown) => e);
    expect((missing as PlatformError).kind).toBe('not_found');
    expect(amplifyAdapter.platformCredentials()).toEqual(PLATFORM);
    expect(amplifyAdapter.parseCredentials({ accessKeyId: ' AKIAHUSKITLOCALUSER0 ', secretAccessKey: 's', region: 'eu-west-1' })).toEqual({
      accessKeyId: 'AKIAHUSKITLOCALUSER0',
      secretAccessKey: 's',
      region: 'eu-west-1',
    });
    expect(() => amplifyAdapter.parseCredentials({ accessKeyId: 'AKIA' })).toThrow(PlatformError);
    expect(new AmplifyClient({ ...USER, region: 'eu-central-1' }).endpoint).toBe('https://amplify.eu-central-1.amazonaws.com');
  });
});

describe('faults', () => {
  it('5 deploys in a row succeed through 20% failing Amplify and S3 calls, with the right bytes', async () => {
    await setFaults(cloud().url, {
      seed: 3,
      rules: [
        { target: 'amplify', kind: 'status', status: 503, probability: 0.2 },
        { target: 's3', kind: 'status', status: 500, probability: 0.2 },
      ],
    });
    const before = await cloudStats(cloud().url);
    for (let i = 0; i < 5; i++) {
      const files = siteFiles(`fault-${i}`);
      const outcome = await amplifyAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files }).ctx);
      await expectServed(outcome, files);
    }
    const after = await cloudStats(cloud().url);
    const fired = Object.values(after.faultsFired).reduce((a, b) => a + b, 0);
    expect(fired).toBeGreaterThan(5);
    expect(routeCount(after, START_DEPLOYMENT) - routeCount(before, START_DEPLOYMENT)).toBeGreaterThanOrEqual(5);
    // Refused attempts are retried; exactly one job per deploy was created (no duplicates).
    const created = (stats: CloudStats) => stats.requests[CREATE_DEPLOYMENT]?.['200'] ?? 0;
    expect(created(after) - created(before)).toBe(5);
  });

  it('a lost CreateDeployment answer is not resent blindly: one job for the attempt, and the site live', async () => {
    // The lost answer carried the only copy of the job's upload URL (CreateDeployment's zipUploadUrl,
    // @aws-sdk/client-amplify CreateDeploymentResult): its job is read back with ListJobs and removed.
    // drop-after: handled, then the answer lost; drop: cut before it was handled (nothing to remove).
    for (const [mode, credentials, kind] of [
      ['platform-managed', PLATFORM, 'drop-after'],
      ['user-token', USER, 'drop-after'],
      ['platform-managed', PLATFORM, 'drop'],
    ] as const) {
      await setFaults(cloud().url, { rules: [{ target: 'amplify', method: 'POST', route: '/deployments', kind, count: 1 }] });
      const before = await cloudStats(cloud().url);
      const files = siteFiles(`lost-${mode}-${kind}`);
      const { ctx } = memoryDeployContext({ settings, mode, credentials, files });
      const outcome = await amplifyAdapter.deploy(ctx);
      const after = await cloudStats(cloud().url);
      expect(
        Object.values(after.faultsFired).reduce((a, b) => a + b, 0) - Object.values(before.faultsFired).reduce((a, b) => a + b, 0),
        `${mode} ${kind}`,
      ).toBe(1);
      const jobs = await listJobs(credentials, outcome.target.externalProjectId!, outcome.target.externalId!);
      expect(
        jobs.map((j) => j.status),
        `${mode} ${kind}`,
      ).toEqual(['SUCCEED']);
      await expectServed(outcome, files);
      await setFaults(cloud().url, { rules: [] });
    }
  });

  it('gives the zip PUT time by its size: a slow 2 MB upload succeeds where a fixed timeout fails; a 50 MB zip gets minutes, not 30 s', async () => {
    // S3 taking 600 ms for the upload, against a 250 ms base timeout.
    const amplify = new AmplifyClient(PLATFORM, { endpoint: cloud().url, policy: { ...settings.retries, timeoutMs: 250, attempts: 2 } });
    const branch = `hs-timeout-${randomUUID().slice(0, 8)}`;
    await amplify.createBranch(PLATFORM.appId!, branch);
    await setFaults(cloud().url, { rules: [{ target: 's3', method: 'PUT', kind: 'delay', delayMs: 600 }] });
    const large = await amplify.createDeployment(PLATFORM.appId!, branch);
    await amplify.uploadZip(large.zipUploadUrl, bytesBody(randomBytes(2 * 1024 * 1024)));
    // The same wait on a 1 KB zip is a timeout: the allowance comes from the size, not a larger constant.
    await amplify.stopJob(PLATFORM.appId!, branch, large.jobId);
    const small = await amplify.createDeployment(PLATFORM.appId!, branch);
    const err = await amplify.uploadZip(small.zipUploadUrl, bytesBody(randomBytes(1024))).catch((e: unknown) => e);
    expect((err as PlatformError).kind).toBe('timeout');
    await setFaults(cloud().url, { rules: [] });
    await amplify.deleteBranch(PLATFORM.appId!, branch);
    expect(uploadTimeoutMs(50 * 1024 * 1024)).toBeGreaterThan(120_000);
    expect(uploadTimeoutMs(1024)).toBeLessThan(31_000);
  });

  it('retries the zip upload through S3 errors and GetJob through a throttle, without signing the upload', async () => {
    await setFaults(cloud().url, {
      rules: [
        { target: 's3', kind: 'status', status: 500, count: 2 },
        { target: 'amplify', route: '/jobs/', kind: 'status', status: 429, retryAfter: 0, count: 1 },
      ],
    });
    const before = await cloudStats(cloud().url);
    const files = siteFiles('s3-retry');
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files });
    const outcome = await amplifyAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);
    const puts = (status: number) => (after.requests[S3_PUT]?.[status] ?? 0) - (before.requests[S3_PUT]?.[status] ?? 0);
    expect([puts(500), puts(200), puts(400)]).toEqual([2, 1, 0]);
    expect(after.faultsFired).toEqual({ 'rule-1': 2, 'rule-2': 1 });
    // The attempt that went through carried the whole zip again, read afresh from its file.
    const uploaded = Number(/Uploaded (\d+) bytes/.exec(h.events.map((e) => e.message).join('\n'))?.[1]);
    expect((after.bytesReceived[S3_PUT] ?? 0) - (before.bytesReceived[S3_PUT] ?? 0)).toBe(uploaded);
    await expectServed(outcome, files);
  });
});

describe('the zip goes through a temporary file', () => {
  // A folder of this test's own as the system's temporary folder, so that nothing else writes there.
  // One site (one branch): the shared app's branches are few.
  const siteId = randomUUID();
  let dir: string;
  let previous: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amplify-zip-'));
    previous = process.env.TMPDIR;
    process.env.TMPDIR = dir;
  });
  afterEach(async () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    await rm(dir, { recursive: true, force: true });
  });

  it('is PUT from a file of the size reported, removed once the deploy is done', async () => {
    const files = siteFiles('temp-file');
    let during: { entries: string[]; size: number } | undefined;
    const h = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files,
      siteId,
      onReport: (step, progress) => {
        if (step !== 'upload' || progress !== 50) return;
        const entries = readdirSync(dir);
        during = { entries, size: statSync(join(dir, entries[0]!, 'site.zip')).size };
      },
    });
    const outcome = await amplifyAdapter.deploy(h.ctx);
    expect(during?.entries).toEqual([expect.stringMatching(/^huskit-amplify-/)]);
    expect(h.events.some((e) => e.message.includes(`Uploaded ${during!.size} bytes`))).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    await expectServed(outcome, files);
  });

  it('is removed when the upload fails for good, and when the deployment stops while zipping or uploading (canceled, its lease lost)', async () => {
    await setFaults(cloud().url, { rules: [{ target: 's3', kind: 'status', status: 500, count: 100 }] });
    const failed = await amplifyAdapter
      .deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('put-fails'), siteId }).ctx)
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PlatformError);
    expect(readdirSync(dir)).toEqual([]);
    await setFaults(cloud().url, { rules: [] });

    for (const [step, progress] of [
      ['zip', 20],
      ['upload', 50],
    ] as const) {
      const canceled = new Error('the deployment was canceled');
      const h = memoryDeployContext({
        settings,
        mode: 'platform-managed',
        credentials: PLATFORM,
        files: siteFiles(`canceled-${step}`),
        siteId,
        onReport: (s, p) => {
          if (s === step && p === progress) throw canceled;
        },
      });
      await expect(amplifyAdapter.deploy(h.ctx)).rejects.toBe(canceled);
      expect(readdirSync(dir), step).toEqual([]);
    }
  });
});
