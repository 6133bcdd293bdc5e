// The Vercel adapter against the local cloud, driven directly with a small DeployContext: both modes,
// redeploys that upload only what changed, resumed attempts, native rollback, removal, the cleanup
// listing and verification — always checking what the site then serves.
import { useLocalCloud } from '@/testing/local-cloud';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_VERCEL } from '@/lib/platforms/vercel/local';
import { contentTypeFor } from '@/lib/site-files';
import { cloudStats, fetchSite, hostOf, requestCount, setFaults, type CloudStats } from '@/testing/cloud';
import { memoryDeployContext } from '@/testing/deploy-context';
import type { AdapterSettings, DeployOutcome } from '../adapter';
import { DEFAULT_RETRY, PlatformError } from '../http';
import { vercelAdapter, type VercelCredentials } from './adapter';
import { VERCEL_DEPLOYMENT_POLLING } from './readiness';

const cloud = useLocalCloud((config) => {
  config.vercel.stepMs = 40;
});
/** Short retries and polls, handed to every call as a deployment's settings would be. */
const settings: AdapterSettings = {
  retries: { ...DEFAULT_RETRY, baseDelayMs: 5, maxDelayMs: 20, attempts: 6 },
  polling: { ...VERCEL_DEPLOYMENT_POLLING, intervalMs: 20 },
};
afterEach(() => setFaults(cloud().url, { rules: [] }));

const PLATFORM: VercelCredentials = { token: LOCAL_VERCEL.platformToken, teamId: LOCAL_VERCEL.platformTeamId };
const USER: VercelCredentials = { token: LOCAL_VERCEL.userToken };
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082',
  'hex',
);

type Files = Record<string, string | Buffer>;
const siteFiles = (tag: string): Files => ({
  'index.html': `<!doctype html><h1>${tag}</h1>`,
  'about/index.html': `<h1>About ${tag}</h1>`,
  'assets/css/site.css': 'body { font-family: Brand; }',
  'assets/img/logo.png': PNG,
  'café/ménu.txt': `crème brûlée — ${tag}`,
  // Same bytes as another file: one SHA-1, uploaded once.
  'assets/css/copy.css': 'body { font-family: Brand; }',
});

const FILES = 'vercel POST /vercel/v2/files';
const CREATE = 'vercel POST /vercel/v13/deployments';
const CREATE_PROJECT = 'vercel POST /vercel/v11/projects';
const delta = (after: CloudStats, before: CloudStats, route: string, status?: number) =>
  requestCount(after, route, status) - requestCount(before, route, status);

/** Where a file is served with clean URLs: `about.html` at `/about`, `about/index.html` at `/about/`. */
const canonical = (path: string) => `/${path.replace(/index\.html$/, '').replace(/\.html$/, '')}`;

async function expectServed(outcome: DeployOutcome, files: Files) {
  for (const [path, content] of Object.entries(files)) {
    const res = await fetchSite(cloud().url, hostOf(outcome.url), encodeURI(canonical(path)));
    expect(res.status, path).toBe(200);
    expect(res.body.equals(Buffer.isBuffer(content) ? content : Buffer.from(content)), path).toBe(true);
    expect(res.headers['content-type'], path).toBe(contentTypeFor(path));
  }
  expect((await fetchSite(cloud().url, hostOf(outcome.url), '/')).body.toString()).toBe(String(files['index.html']));
}

async function api(credentials: VercelCredentials, method: string, path: string, body?: unknown) {
  const sep = path.includes('?') ? '&' : '?';
  const res = await fetch(`${cloud().url}/vercel${path}${credentials.teamId ? `${sep}teamId=${credentials.teamId}` : ''}`, {
    method,
    headers: { authorization: `Bearer ${credentials.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as any) };
}

describe('platform-managed (the shared team)', () => {
  it('creates huskit-{id}, uploads every distinct file once and serves every byte at the production alias, with the SPA fallback', async () => {
    const files = siteFiles('pm');
    const before = await cloudStats(cloud().url);
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files });
    const outcome = await vercelAdapter.deploy(h.ctx);

    const projectName = `huskit-${h.ctx.siteId.replace(/-/g, '').slice(0, 12)}`;
    expect(outcome.url).toBe(`http://${projectName}.vercel.localhost:${cloud().port}`);
    expect(outcome.target.externalProjectId).toBe(LOCAL_VERCEL.platformTeamId);
    expect(outcome.target.externalId).toMatch(/^prj_/);
    expect(h.checkpoint).toMatchObject({ projectId: outcome.target.externalId, deploymentId: expect.stringMatching(/^dpl_/) });
    await expectServed(outcome, files);
    const deep = await fetchSite(cloud().url, hostOf(outcome.url), '/dashboard/settings');
    expect([deep.status, deep.body.toString()]).toEqual([200, String(files['index.html'])]);

    const after = await cloudStats(cloud().url);
    expect(delta(after, before, FILES)).toBe(Object.keys(files).length - 1);
    expect([delta(after, before, CREATE, 400), delta(after, before, CREATE, 200), delta(after, before, CREATE_PROJECT)]).toEqual([1, 1, 1]);
    const progress = h.events.map((e) => e.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    for (const step of ['project', 'upload', 'activate']) expect(h.events.map((e) => e.step)).toContain(step);
  });

  it('a redeploy with one changed file uploads exactly that file and keeps the project and URL', async () => {
    const siteId = randomUUID();
    const first = await vercelAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('v1'), siteId }).ctx,
    );
    const before = await cloudStats(cloud().url);
    const changed = { ...siteFiles('v1'), 'assets/css/site.css': 'body { color: rebeccapurple; }' };
    const second = await vercelAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: changed, siteId, target: first.target }).ctx,
    );
    const after = await cloudStats(cloud().url);
    expect(second).toEqual(first);
    expect(delta(after, before, FILES)).toBe(1);
    expect(delta(after, before, CREATE_PROJECT)).toBe(0);
    expect(after.blobs['vercel.files']! - before.blobs['vercel.files']!).toBe(1);
    await expectServed(second, changed);
  });

  it('a site with its own 404.html gets it with status 404 instead of the SPA fallback', async () => {
    const outcome = await vercelAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: { 'index.html': 'home', '404.html': 'not here' } }).ctx,
    );
    const missing = await fetchSite(cloud().url, hostOf(outcome.url), '/nope');
    expect([missing.status, missing.body.toString()]).toEqual([404, 'not here']);
  });

  it('a site with a public/ folder is served from its root, as uploaded', async () => {
    const files = { 'index.html': 'root index', 'public/index.html': 'just a folder' };
    const outcome = await vercelAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files }).ctx);
    await expectServed(outcome, files);
  });

  it('resumes from a checkpoint: no second project, no second deployment', async () => {
    const siteId = randomUUID();
    const checkpoint: Record<string, unknown> = {};
    const crashing = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files: siteFiles('resume'),
      siteId,
      checkpoint,
      onSave: (patch) => {
        if (patch.deploymentId) {
          Object.assign(checkpoint, patch);
          throw new Error('process died');
        }
      },
    });
    await expect(vercelAdapter.deploy(crashing.ctx)).rejects.toThrow('process died');
    expect(checkpoint.deploymentId).toMatch(/^dpl_/);

    const before = await cloudStats(cloud().url);
    const resumed = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('resume'), siteId, checkpoint });
    const outcome = await vercelAdapter.deploy(resumed.ctx);
    const after = await cloudStats(cloud().url);
    expect([delta(after, before, CREATE_PROJECT), delta(after, before, CREATE), delta(after, before, FILES)]).toEqual([0, 0, 0]);
    await expectServed(outcome, siteFiles('resume'));
    const list = await api(PLATFORM, 'GET', `/v9/projects?search=huskit-${siteId.replace(/-/g, '').slice(0, 12)}`);
    expect(list.body.projects).toHaveLength(1);
  });

  it('a deployment that timed out is canceled and not resumed: the next attempt makes a new one and goes live', async () => {
    const siteId = randomUUID();
    const timingOut: AdapterSettings = { ...settings, polling: { intervalMs: 5, maxMs: 1 } };
    const first = memoryDeployContext({ settings: timingOut, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('slow'), siteId });
    const err = await vercelAdapter.deploy(first.ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'timeout' });
    expect(first.checkpoint.deploymentId).toBeNull();
    const before = await cloudStats(cloud().url);
    const again = await vercelAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('slow'), siteId, checkpoint: first.checkpoint }).ctx,
    );
    expect(requestCount(await cloudStats(cloud().url), CREATE) - requestCount(before, CREATE)).toBe(1);
    expect((await fetchSite(cloud().url, hostOf(again.url), '/')).status).toBe(200);
  });

  it('a lost answer to the project creation (409 on retry) reuses the project', async () => {
    const siteId = randomUUID();
    const name = `huskit-${siteId.replace(/-/g, '').slice(0, 12)}`;
    // Someone (an attempt whose answer was lost) already created it.
    const existing = await api(PLATFORM, 'POST', '/v11/projects', { name });
    const outcome = await vercelAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('lost'), siteId }).ctx,
    );
    expect(outcome.target.externalId).toBe(existing.body.id);
  });

  it('rolls back natively to the deployment in rollbackTo (no uploads, no new deployment); falls back to a deploy when it is gone', async () => {
    const siteId = randomUUID();
    const v1 = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('one'), siteId });
    const first = await vercelAdapter.deploy(v1.ctx);
    const second = await vercelAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('two'), siteId, target: first.target }).ctx,
    );
    await expectServed(second, siteFiles('two'));

    const before = await cloudStats(cloud().url);
    const back = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files: siteFiles('one'),
      siteId,
      target: first.target,
      rollbackTo: { ...v1.checkpoint },
    });
    const rolled = await vercelAdapter.deploy(back.ctx);
    const after = await cloudStats(cloud().url);
    expect(rolled.url).toBe(first.url);
    expect([delta(after, before, FILES), delta(after, before, CREATE)]).toEqual([0, 0]);
    expect(delta(after, before, 'vercel POST /vercel/v9/projects/:projectId/rollback/:deploymentId', 201)).toBe(1);
    expect(back.checkpoint.deploymentId).toBe(v1.checkpoint.deploymentId);
    await expectServed(rolled, siteFiles('one'));

    // The deployment rolled back to was deleted: a normal deploy of the same files.
    await api(PLATFORM, 'DELETE', `/v13/deployments/${String(v1.checkpoint.deploymentId)}`);
    const again = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files: siteFiles('one'),
      siteId,
      target: first.target,
      rollbackTo: { ...v1.checkpoint },
    });
    const redeployed = await vercelAdapter.deploy(again.ctx);
    expect(again.checkpoint.deploymentId).not.toBe(v1.checkpoint.deploymentId);
    await expectServed(redeployed, siteFiles('one'));
  });

  // Vercel: after an instant rollback, new production deployments no longer get the production domains
  // until the project is promoted again (https://vercel.com/docs/instant-rollback; "To undo a rollback,
  // promote a deployment", https://vercel.com/docs/cli/rollback; promote is POST
  // /v10/projects/{id}/promote/{deploymentId}, vercel/vercel packages/cli/src/commands/promote/request-promote.ts).
  it('deploy → rollback → deploy again: the new deployment is promoted and live at the production URL, and the log says so', async () => {
    // Without the promote the new deployment would wait here until the polling limit: keep it short.
    const shortLimit: AdapterSettings = { ...settings, polling: { intervalMs: 20, maxMs: 5_000 } };
    const siteId = randomUUID();
    const v1 = memoryDeployContext({ settings: shortLimit, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('first'), siteId });
    const first = await vercelAdapter.deploy(v1.ctx);
    await vercelAdapter.deploy(
      memoryDeployContext({ settings: shortLimit, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('second'), siteId, target: first.target })
        .ctx,
    );
    await vercelAdapter.deploy(
      memoryDeployContext({
        settings: shortLimit,
        mode: 'platform-managed',
        credentials: PLATFORM,
        files: siteFiles('first'),
        siteId,
        target: first.target,
        rollbackTo: { ...v1.checkpoint },
      }).ctx,
    );
    await expectServed(first, siteFiles('first'));

    const before = await cloudStats(cloud().url);
    const third = memoryDeployContext({
      settings: shortLimit,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files: siteFiles('third'),
      siteId,
      target: first.target,
    });
    const outcome = await vercelAdapter.deploy(third.ctx);
    expect(outcome.url).toBe(first.url);
    await expectServed(outcome, siteFiles('third'));
    expect(delta(await cloudStats(cloud().url), before, 'vercel POST /vercel/v10/projects/:projectId/promote/:deploymentId', 201)).toBe(1);
    expect(third.events.map((e) => e.message)).toContainEqual(expect.stringMatching(/rolled back.*promot/i));

    // Promoted: the project is no longer rolled back, the next deploy needs no promote.
    const fourth = await vercelAdapter.deploy(
      memoryDeployContext({ settings: shortLimit, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('fourth'), siteId, target: first.target })
        .ctx,
    );
    await expectServed(fourth, siteFiles('fourth'));
  });

  // A production deployment's `alias` also lists `{project}-{scope}.vercel.app`, which sits behind
  // Deployment Protection (https://vercel.com/docs/deployment-protection); the project's production
  // domain comes from GET /v9/projects/{id}/domains
  // (https://vercel.com/docs/rest-api/projects/retrieve-project-domains-by-project-by-id-or-name).
  it('the URL shown is the production domain even when the deployment has several aliases (the scope-suffixed one first)', async () => {
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('domains') });
    const outcome = await vercelAdapter.deploy(h.ctx);
    const deployment = (await api(PLATFORM, 'GET', `/v13/deployments/${String(h.checkpoint.deploymentId)}`)).body;
    expect(deployment.alias).toHaveLength(2);
    expect((await fetchSite(cloud().url, hostOf(`http://${deployment.alias[0]}`), '/')).status).toBe(401);
    expect(hostOf(outcome.url)).toBe(hostOf(`http://${deployment.alias[1]}`));
    await expectServed(outcome, siteFiles('domains'));
  });

  // Vercel's list of deployments filters by metadata: GET /v6/deployments?projectId=…&meta-{key}={value}
  // (vercel/vercel packages/cli/src/commands/list/index.ts, `vercel list --meta`: https://vercel.com/docs/cli/list).
  it('a lost answer to POST /v13/deployments is followed by a look-up by meta, not a second deployment', async () => {
    const siteId = randomUUID();
    const files = siteFiles('lost-create');
    // Every file already on Vercel, so that the first create call makes the deployment.
    const first = await vercelAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId }).ctx);
    await setFaults(cloud().url, { rules: [{ target: 'vercel', method: 'POST', route: '/v13/deployments', kind: 'drop-after', count: 1 }] });
    const before = await cloudStats(cloud().url);
    // Vercel has every file: the first create call makes the deployment, and its answer is lost.
    const again = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId, target: first.target });
    const outcome = await vercelAdapter.deploy(again.ctx);
    const after = await cloudStats(cloud().url);
    expect(after.faultsFired['rule-1']).toBe(1);
    const listed = await api(PLATFORM, 'GET', `/v6/deployments?projectId=${first.target.externalId}&meta-huskitDeploymentId=${again.ctx.deploymentId}`);
    expect(listed.body.deployments).toHaveLength(1);
    expect(listed.body.deployments[0].uid).toBe(again.checkpoint.deploymentId);
    expect(after.blobs['vercel.deployments']! - before.blobs['vercel.deployments']!).toBe(1);
    expect(delta(after, before, FILES)).toBe(0);
    await expectServed(outcome, files);
  });

  it('a slow upload of a large file gets a per-attempt timeout that grows with its size', async () => {
    // 500 ms per attempt for small calls; a 1 MiB file at 256 KiB/s gets 4 s more. Each upload is held 1.5 s.
    const shortTimeouts: AdapterSettings = { ...settings, retries: { ...DEFAULT_RETRY, baseDelayMs: 5, maxDelayMs: 20, attempts: 3, timeoutMs: 500 } };
    const big = Buffer.alloc(1024 * 1024, randomUUID());
    const index = `<h1>big ${randomUUID()}</h1>`;
    // index.html reaches Vercel first, so that the held upload is the large file alone.
    await vercelAdapter.deploy(
      memoryDeployContext({ settings: shortTimeouts, mode: 'platform-managed', credentials: PLATFORM, files: { 'index.html': index } }).ctx,
    );
    await setFaults(cloud().url, { rules: [{ target: 'vercel', method: 'POST', route: '/v2/files', kind: 'delay', delayMs: 1_500 }] });
    const before = await cloudStats(cloud().url);
    const outcome = await vercelAdapter.deploy(
      memoryDeployContext({ settings: shortTimeouts, mode: 'platform-managed', credentials: PLATFORM, files: { 'index.html': index, 'big.bin': big } }).ctx,
    );
    expect(delta(await cloudStats(cloud().url), before, FILES, 200)).toBe(1);
    await setFaults(cloud().url, { rules: [] });
    const served = await fetchSite(cloud().url, hostOf(outcome.url), '/big.bin');
    expect([served.status, served.body.equals(big)]).toEqual([200, true]);
  });

  // Clean URLs as Cloudflare (auto-trailing-slash) and Netlify (pretty URLs) have them: `cleanUrls` is a
  // deployment option sent to the API (vercel/vercel packages/client/src/types.ts DeploymentOptions;
  // https://vercel.com/docs/project-configuration#cleanurls: `/about.html` → 308 `/about`).
  it('clean URLs: /about serves about.html and /about.html redirects (308) to /about', async () => {
    const files = { 'index.html': '<h1>home</h1>', 'about.html': '<h1>about</h1>', 'docs/intro.html': '<h1>intro</h1>' };
    const outcome = await vercelAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files }).ctx);
    const about = await fetchSite(cloud().url, hostOf(outcome.url), '/about');
    expect([about.status, about.body.toString()]).toEqual([200, '<h1>about</h1>']);
    expect((await fetchSite(cloud().url, hostOf(outcome.url), '/docs/intro')).body.toString()).toBe('<h1>intro</h1>');
    const moved = await fetchSite(cloud().url, hostOf(outcome.url), '/about.html');
    expect([moved.status, moved.headers.location]).toEqual([308, '/about']);
    // Unknown paths still get the SPA fallback.
    expect((await fetchSite(cloud().url, hostOf(outcome.url), '/app/route')).body.toString()).toBe('<h1>home</h1>');
  });

  it('remove deletes the project and the site is gone; removing again is fine; non-huskit projects of the shared team are refused', async () => {
    const outcome = await vercelAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('rm') }).ctx);
    await vercelAdapter.remove(PLATFORM, outcome.target, 'platform-managed', settings);
    expect((await fetchSite(cloud().url, hostOf(outcome.url), '/')).status).toBe(404);
    expect((await api(PLATFORM, 'GET', `/v9/projects/${outcome.target.externalId}`)).status).toBe(404);
    await vercelAdapter.remove(PLATFORM, outcome.target, 'platform-managed', settings);

    const other = await api(PLATFORM, 'POST', '/v11/projects', { name: `someone-elses-${randomUUID().slice(0, 6)}` });
    await expect(vercelAdapter.remove(PLATFORM, { externalId: other.body.id }, 'platform-managed', settings)).rejects.toThrow(/not a Huskit site/);
    expect((await api(PLATFORM, 'GET', `/v9/projects/${other.body.id}`)).status).toBe(200);
  });

  it('listManagedResources lists only huskit- projects of the shared team', async () => {
    await api(PLATFORM, 'POST', '/v11/projects', { name: `not-huskit-${randomUUID().slice(0, 6)}` });
    await api(PLATFORM, 'POST', '/v11/projects', { name: `marketing-${randomUUID().slice(0, 6)}` });
    const ours = await api(PLATFORM, 'POST', '/v11/projects', { name: `huskit-${randomUUID().replace(/-/g, '').slice(0, 12)}` });
    const listed = await vercelAdapter.listManagedResources(PLATFORM, settings);
    const all = (await api(PLATFORM, 'GET', '/v9/projects?limit=100')).body.projects as { id: string; name: string }[];
    const names = new Map(all.map((p) => [p.id, p.name]));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((r) => names.get(r.externalId!)?.startsWith('huskit-') && r.externalProjectId === LOCAL_VERCEL.platformTeamId)).toBe(true);
    expect(listed.map((r) => r.externalId)).toContain(ours.body.id);
  });

  it('abandon cancels a deployment still building; an unknown one is ignored', async () => {
    const created = await api(PLATFORM, 'POST', '/v13/deployments', { name: `huskit-${randomUUID().slice(0, 8)}`, files: [{ file: 'index.html', data: 'x' }] });
    await vercelAdapter.abandon(PLATFORM, { deploymentId: created.body.id }, settings);
    expect((await api(PLATFORM, 'GET', `/v13/deployments/${created.body.id}`)).body.readyState).toBe('CANCELED');
    await vercelAdapter.abandon(PLATFORM, { deploymentId: 'dpl_doesnotexist' }, settings);
  });

  it("the daily deployment limit is a quota error that names it, without waiting out the day's Retry-After", async () => {
    const config = cloud().config.vercel;
    const saved = config.deploymentsPerDay;
    config.deploymentsPerDay = 0;
    try {
      const err = await vercelAdapter
        .deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: { 'index.html': 'limited' } }).ctx)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      expect([(err as PlatformError).kind, (err as PlatformError).retryAfterSeconds]).toEqual(['quota', undefined]);
      expect((err as PlatformError).message).toMatch(/^The Vercel account has reached its daily deployment limit/);
    } finally {
      config.deploymentsPerDay = saved;
    }
  });

  it('an upload handled but whose answer was lost is sent again whole, read afresh from the store', async () => {
    const index = `<h1>lost ${randomUUID()}</h1>`;
    // index.html reaches Vercel first, so that the upload losing its answer is the large file's.
    await vercelAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: { 'index.html': index } }).ctx);
    const files = { 'index.html': index, 'big.bin': randomBytes(300_001) };
    await setFaults(cloud().url, { rules: [{ target: 'vercel', method: 'POST', route: '/v2/files', kind: 'drop-after', count: 1 }] });
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files });
    const before = await cloudStats(cloud().url);
    const outcome = await vercelAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);
    expect(after.faultsFired).toEqual({ 'rule-1': 1 });
    expect((after.bytesReceived[FILES] ?? 0) - (before.bytesReceived[FILES] ?? 0)).toBe(2 * 300_001);
    expect(h.opened.filter((sha) => sha === h.ctx.manifest['big.bin']!.sha256)).toHaveLength(2);
    const served = await fetchSite(cloud().url, hostOf(outcome.url), '/big.bin');
    expect([served.status, served.body.equals(files['big.bin'])]).toEqual([200, true]);
  });

  it('deploys through injected 429s, 503s and dropped connections', async () => {
    await setFaults(cloud().url, {
      seed: 5,
      rules: [
        { target: 'vercel', kind: 'status', status: 429, retryAfter: 0, probability: 0.1 },
        { target: 'vercel', kind: 'status', status: 503, probability: 0.1 },
        { target: 'vercel', kind: 'drop', probability: 0.1 },
      ],
    });
    const outcome = await vercelAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('faults') }).ctx,
    );
    expect(Object.values((await cloudStats(cloud().url)).faultsFired).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    await setFaults(cloud().url, { rules: [] });
    await expectServed(outcome, siteFiles('faults'));
  });
});

describe('user-token (your own account)', () => {
  it('deploys into the personal account, named after the project with a short suffix', async () => {
    const h = memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files: siteFiles('mine'), siteName: 'My Portfolio!' });
    const outcome = await vercelAdapter.deploy(h.ctx);
    const suffix = h.ctx.siteId.replace(/-/g, '').slice(0, 6);
    expect(outcome.url).toBe(`http://my-portfolio-${suffix}.vercel.localhost:${cloud().port}`);
    expect(outcome.target.externalProjectId).toMatch(/^user_/);
    await expectServed(outcome, siteFiles('mine'));
  });

  it('a site whose package.json has a build script is served as uploaded: nothing is built', async () => {
    // Without an explicit empty build command, the "Other" preset would run `npm run build`.
    const h = memoryDeployContext({
      settings,
      mode: 'user-token',
      credentials: USER,
      files: { 'index.html': 'built?', 'package.json': '{"scripts":{"build":"vite build"}}' },
      siteName: 'Has Build',
    });
    const outcome = await vercelAdapter.deploy(h.ctx);
    expect((await fetchSite(cloud().url, hostOf(outcome.url), '/')).body.toString()).toBe('built?');
  });
});

describe('verify', () => {
  it('answers non-secret facts: the user, and the team when one is given', async () => {
    expect(await vercelAdapter.verify(PLATFORM, settings)).toEqual({
      username: 'huskit-bot',
      email: 'bot@huskit.local',
      teamId: LOCAL_VERCEL.platformTeamId,
      teamName: 'Huskit Local',
      teamSlug: LOCAL_VERCEL.platformTeamSlug,
    });
    const facts = await vercelAdapter.verify(USER, settings);
    expect(facts).toEqual({ username: 'local-user', email: 'user@huskit.local' });
    expect(JSON.stringify(facts)).not.toContain(USER.token);
  });

  it('a wrong token is PlatformError auth with words a person can act on; so is a team the token does not cover', async () => {
    const wrong = await vercelAdapter.verify({ token: 'wrongwrongwrongtoken' }, settings).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(PlatformError);
    expect((wrong as PlatformError).kind).toBe('auth');
    expect((wrong as PlatformError).message).toMatch(/Create a new token at vercel\.com\/account\/tokens/);
    const team = await vercelAdapter.verify({ token: LOCAL_VERCEL.userToken, teamId: LOCAL_VERCEL.platformTeamId }, settings).catch((e: unknown) => e);
    expect([(team as PlatformError).kind, (team as PlatformError).message]).toEqual(['auth', expect.stringMatching(/no access to this team/)]);
    expect(() => vercelAdapter.parseCredentials({ token: ' ' })).toThrow(PlatformError);
  });
});
