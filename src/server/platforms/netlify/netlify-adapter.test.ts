// The Netlify adapter against the local cloud, driven directly with a small DeployContext: both modes,
// redeploys that upload only what changed, resumed attempts, rollback by restore, removal, the
// cleanup listing, refusals and faults — always checking what the site then serves.
import { useLocalCloud } from '@/testing/local-cloud';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_NETLIFY } from '@/lib/platforms/netlify/local';
import { contentTypeFor } from '@/lib/site-files';
import { cloudStats, fetchSite, hostOf, requestCount, setFaults, type CloudStats } from '@/testing/cloud';
import { memoryDeployContext } from '@/testing/deploy-context';
import type { AdapterSettings, DeployOutcome } from '../adapter';
import { DEFAULT_RETRY, PlatformError, rateLimitResetIn, sendWithRetry } from '../http';
import { netlifyAdapter, type NetlifyCredentials } from './adapter';
import { NETLIFY_DEPLOY_POLLING } from './deploy-wait';

const cloud = useLocalCloud((config) => {
  config.netlify.stepMs = 20;
});
/** Short retries and polls, handed to every call as a deployment's settings would be. */
const settings: AdapterSettings = {
  retries: { ...DEFAULT_RETRY, baseDelayMs: 5, maxDelayMs: 20, attempts: 6 },
  polling: { ...NETLIFY_DEPLOY_POLLING, intervalMs: 15 },
};

afterEach(() => setFaults(cloud().url, { rules: [] }));

const PLATFORM: NetlifyCredentials = { token: LOCAL_NETLIFY.platformToken };
const USER: NetlifyCredentials = { token: LOCAL_NETLIFY.userToken };

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082',
  'hex',
);

type Files = Record<string, string | Buffer>;

function siteFiles(tag: string): Files {
  return {
    'index.html': `<!doctype html><link rel="stylesheet" href="/assets/css/site.css"><h1>${tag}</h1>`,
    'about/index.html': `<h1>About ${tag}</h1>`,
    'assets/css/site.css': `body { font-family: Brand; } /* ${tag} */`,
    'assets/js/app.js': `window.tag = ${JSON.stringify(tag)};`,
    'assets/img/logo.png': PNG,
    'assets/fonts/brand.woff2': Buffer.concat([Buffer.from('wOF2'), randomBytes(3000)]),
    'café/my ménu.txt': `crème brûlée — ${tag}`,
    'docs/guide/deep/er/page.json': JSON.stringify({ tag }),
  };
}

/** Every file of the site, byte for byte, with the type of its extension; `/` is index.html. */
async function expectServed(outcome: DeployOutcome, files: Files) {
  for (const [path, content] of Object.entries(files)) {
    const res = await fetchSite(cloud().url, hostOf(outcome.url), `/${encodeURI(path)}`);
    const expected = Buffer.isBuffer(content) ? content : Buffer.from(content);
    expect(res.status, path).toBe(200);
    expect(res.body.equals(expected), path).toBe(true);
    expect(res.headers['content-type'], path).toBe(contentTypeFor(path) ?? 'application/octet-stream');
  }
  const root = await fetchSite(cloud().url, hostOf(outcome.url), '/');
  expect(root.body.toString()).toBe(String(files['index.html']));
}

const UPLOADS = 'netlify PUT /api/v1/deploys/:deploy_id/files/*';
const CREATE_DEPLOY = 'netlify POST /api/v1/sites/:site_id/deploys';
const CREATE_SITE_IN_TEAM = 'netlify POST /api/v1/:account_slug/sites';
const CREATE_SITE = 'netlify POST /api/v1/sites';
const count = (after: CloudStats, before: CloudStats, route: string, status?: number) => {
  const n = (s: CloudStats) =>
    Object.entries(s.requests[route] ?? {}).reduce((sum, [st, c]) => sum + (status === undefined || Number(st) === status ? c : 0), 0);
  return n(after) - n(before);
};

async function api(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${cloud().url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? ((await res.json()) as any) : await res.text() };
}

describe('platform-managed (the shared team)', () => {
  it('deploys nested folders, a unicode name, a PNG and a font to a huskit- site and serves every byte, with the SPA fallback', async () => {
    const files = siteFiles('pm');
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files });
    const outcome = await netlifyAdapter.deploy(h.ctx);

    const name = `huskit-${h.ctx.siteId.replace(/-/g, '').slice(0, 12)}`;
    expect(outcome.url).toBe(`http://${name}.netlify.localhost:${cloud().port}`);
    expect(outcome.target.externalProjectId).toBe(LOCAL_NETLIFY.platformAccountSlug);
    expect(h.checkpoint).toMatchObject({ siteId: outcome.target.externalId, deployId: expect.stringMatching(/^[0-9a-f]{24}$/) });
    await expectServed(outcome, files);
    const deep = await fetchSite(cloud().url, hostOf(outcome.url), '/dashboard/settings');
    expect([deep.status, deep.body.toString()]).toEqual([200, String(files['index.html'])]);

    const progress = h.events.map((e) => e.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    for (const step of ['site', 'upload', 'activate']) expect(h.events.map((e) => e.step)).toContain(step);
  });

  it('a redeploy with one changed file uploads exactly that file, to the same site and URL', async () => {
    const siteId = randomUUID();
    const files = siteFiles('redeploy');
    const first = await netlifyAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId }).ctx);
    const before = await cloudStats(cloud().url);
    const changed = { ...files, 'assets/css/site.css': 'body { color: rebeccapurple; }' };
    const second = await netlifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: changed, siteId, target: first.target }).ctx,
    );
    const after = await cloudStats(cloud().url);
    expect(second).toEqual(first);
    expect(count(after, before, UPLOADS)).toBe(1);
    expect(count(after, before, CREATE_DEPLOY)).toBe(1);
    expect(count(after, before, CREATE_SITE_IN_TEAM)).toBe(0);
    expect(after.blobs['netlify.files']! - before.blobs['netlify.files']!).toBe(1);
    await expectServed(second, changed);
  });

  it("keeps the site's own _redirects and _headers, and its 404.html instead of the SPA fallback", async () => {
    const files = {
      'index.html': `<h1>${randomUUID()}</h1>`,
      '404.html': '<h1>not here</h1>',
      'docs/intro.html': '<h1>intro</h1>',
      _redirects: '/old /docs/intro 301\n',
      _headers: '/docs/*\n  X-Docs: yes\n',
    };
    const outcome = await netlifyAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files }).ctx);
    const get = (p: string) => fetchSite(cloud().url, hostOf(outcome.url), p);
    expect([(await get('/old')).status, (await get('/old')).headers.location]).toEqual([301, '/docs/intro']);
    expect((await get('/docs/intro')).headers['x-docs']).toBe('yes');
    const missing = await get('/nowhere');
    expect([missing.status, missing.body.toString()]).toEqual([404, '<h1>not here</h1>']);
  });

  it('over 100 files: an async diff, polled until prepared, then only the required files', async () => {
    const files: Files = { 'index.html': `<h1>${randomUUID()}</h1>` };
    for (let i = 0; i < 120; i++) files[`pages/p${i}.html`] = `<p>${i} ${randomUUID()}</p>`;
    const before = await cloudStats(cloud().url);
    // The diff stays "preparing" until the adapter has reported it so: however slow the machine, its
    // first poll cannot come after the diff is done.
    const netlify = cloud().config.netlify;
    const stepMs = netlify.stepMs;
    netlify.stepMs = 3_600_000;
    const preparing = () => h.events.some((e) => e.message.endsWith('is preparing'));
    const h = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files,
      onReport: () => queueMicrotask(() => preparing() && (netlify.stepMs = stepMs)),
    });
    const outcome = await netlifyAdapter.deploy(h.ctx).finally(() => (netlify.stepMs = stepMs));
    const after = await cloudStats(cloud().url);
    expect(preparing()).toBe(true);
    // Every file; the generated _redirects (the SPA rule) is the same as earlier sites' and already stored.
    expect(count(after, before, UPLOADS)).toBe(121);
    expect((await fetchSite(cloud().url, hostOf(outcome.url), '/pages/p119')).body.toString()).toBe(files['pages/p119.html']);
  });

  it('resumes from the checkpoint: no second site, no second deploy, nothing uploaded twice', async () => {
    const siteId = randomUUID();
    const files = siteFiles('resume');
    const crash = new Error('the process died while waiting');
    const first = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files,
      siteId,
      onReport: (step) => {
        if (step === 'activate') throw crash;
      },
    });
    await expect(netlifyAdapter.deploy(first.ctx)).rejects.toBe(crash);
    expect(first.checkpoint).toMatchObject({ siteId: expect.any(String), deployId: expect.any(String) });

    const before = await cloudStats(cloud().url);
    const outcome = await netlifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId, checkpoint: first.checkpoint }).ctx,
    );
    const after = await cloudStats(cloud().url);
    expect([count(after, before, CREATE_SITE_IN_TEAM), count(after, before, CREATE_DEPLOY), count(after, before, UPLOADS)]).toEqual([0, 0, 0]);
    expect(outcome.target.externalId).toBe(first.checkpoint.siteId);
    await expectServed(outcome, files);
  });

  it('a site whose creation answer was lost is found by its name, not created twice', async () => {
    const siteId = randomUUID();
    const files = siteFiles('lost');
    const crash = new Error('the process died after creating the site');
    const first = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files,
      siteId,
      onSave: (patch) => {
        if (patch.siteId) throw crash;
      },
    });
    await expect(netlifyAdapter.deploy(first.ctx)).rejects.toBe(crash);
    expect(first.checkpoint).toEqual({});

    const before = await cloudStats(cloud().url);
    const outcome = await netlifyAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId }).ctx);
    const after = await cloudStats(cloud().url);
    expect(count(after, before, CREATE_SITE_IN_TEAM, 422)).toBe(1);
    expect(count(after, before, CREATE_SITE_IN_TEAM, 201)).toBe(0);
    const name = hostOf(outcome.url).split('.')[0]!;
    const same = (await api(PLATFORM.token, 'GET', `/sites?name=${name}&filter=all`)).body as { name: string }[];
    expect(same.filter((s) => s.name === name)).toHaveLength(1);
    await expectServed(outcome, files);
  });

  it('rolls back by restoring the earlier deploy: nothing uploaded, the old bytes served; an unknown deploy falls back to uploading', async () => {
    const siteId = randomUUID();
    const v1 = siteFiles('v1');
    const one = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: v1, siteId });
    const first = await netlifyAdapter.deploy(one.ctx);
    const v2 = siteFiles('v2');
    await netlifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: v2, siteId, target: first.target }).ctx,
    );
    expect((await fetchSite(cloud().url, hostOf(first.url), '/')).body.toString()).toBe(v2['index.html']);

    const before = await cloudStats(cloud().url);
    const back = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files: v1,
      siteId,
      target: first.target,
      rollbackTo: { ...one.checkpoint },
    });
    const restored = await netlifyAdapter.deploy(back.ctx);
    const after = await cloudStats(cloud().url);
    expect(restored).toEqual(first);
    expect([count(after, before, CREATE_DEPLOY), count(after, before, UPLOADS)]).toEqual([0, 0]);
    expect(count(after, before, 'netlify POST /api/v1/sites/:site_id/deploys/:deploy_id/restore', 201)).toBe(1);
    expect(back.checkpoint).toMatchObject({ siteId: one.checkpoint.siteId, deployId: one.checkpoint.deployId });
    await expectServed(restored, v1);

    const gone = { siteId: one.checkpoint.siteId, deployId: randomBytes(12).toString('hex') };
    const v3 = siteFiles('v3');
    const fallback = await netlifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: v3, siteId, target: first.target, rollbackTo: gone }).ctx,
    );
    await expectServed(fallback, v3);
  });

  it('remove deletes the site (again is fine); the cleanup listing only names huskit- sites; other sites of the team are left alone', async () => {
    const outcome = await netlifyAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('rm') }).ctx);
    const foreign = await api(PLATFORM.token, 'POST', `/${LOCAL_NETLIFY.platformAccountSlug}/sites`, { name: `team-blog-${randomBytes(3).toString('hex')}` });
    expect(foreign.status).toBe(201);

    const managed = await netlifyAdapter.listManagedResources(PLATFORM, settings);
    expect(managed).toContainEqual({ externalProjectId: LOCAL_NETLIFY.platformAccountSlug, externalId: outcome.target.externalId });
    expect(managed.map((m) => m.externalId)).not.toContain(foreign.body.id);
    expect(managed.length).toBeGreaterThan(0);

    await expect(
      netlifyAdapter.remove(PLATFORM, { externalProjectId: LOCAL_NETLIFY.platformAccountSlug, externalId: foreign.body.id }, 'platform-managed', settings),
    ).rejects.toThrow(/not a Huskit site/);
    expect((await api(PLATFORM.token, 'GET', `/sites/${foreign.body.id}`)).status).toBe(200);

    await netlifyAdapter.remove(PLATFORM, outcome.target, 'platform-managed', settings);
    expect((await fetchSite(cloud().url, hostOf(outcome.url), '/')).status).toBe(404);
    await netlifyAdapter.remove(PLATFORM, outcome.target, 'platform-managed', settings);
    expect((await netlifyAdapter.listManagedResources(PLATFORM, settings)).map((m) => m.externalId)).not.toContain(outcome.target.externalId);
  });

  it("remove follows the site's mode, not the token: in the user's own account a site of any name is theirs to delete", async () => {
    const outcome = await netlifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'user-token', credentials: USER, siteName: 'Team Blog', files: siteFiles('own') }).ctx,
    );
    expect((await api(USER.token, 'GET', `/sites/${outcome.target.externalId}`)).body.name).toMatch(/^team-blog-/);
    await netlifyAdapter.remove(USER, outcome.target, 'user-token', settings);
    expect((await api(USER.token, 'GET', `/sites/${outcome.target.externalId}`)).status).toBe(404);
  });

  it('abandon cancels the unfinished deploy of the checkpoint, and ignores one that is gone', async () => {
    const crash = new Error('given up');
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: siteFiles('abandon') });
    // Dies after the deploy exists and before any upload.
    h.ctx.report = async (step, progress, message) => {
      if (step === 'upload' && message.startsWith('Asking')) return;
      if (step === 'upload') throw crash;
      h.events.push({ step, progress, message });
    };
    await expect(netlifyAdapter.deploy(h.ctx)).rejects.toBe(crash);
    const deployId = h.checkpoint.deployId as string;
    expect(deployId).toMatch(/^[0-9a-f]{24}$/);
    await netlifyAdapter.abandon(PLATFORM, h.checkpoint, settings);
    expect((await api(PLATFORM.token, 'GET', `/deploys/${deployId}`)).body).toMatchObject({ state: 'error' });
    await netlifyAdapter.abandon(PLATFORM, { deployId: randomBytes(12).toString('hex') }, settings);
  });

  it("a deploy that ends in error fails with Netlify's message, and the next attempt makes a new deploy", async () => {
    const files: Files = { 'index.html': `<h1>${randomUUID()}</h1>`, 'a.html': 'a', 'b.html': 'b', 'c.html': 'c' };
    cloud().config.netlify.maxFilesPerDirectory = 3;
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files });
    try {
      const err = await netlifyAdapter.deploy(h.ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      expect((err as PlatformError).kind).toBe('bad_request');
      expect((err as PlatformError).message).toMatch(/^Netlify could not publish the site: Failed to publish: the folder "\/" holds 5 files/);
      expect(h.checkpoint.deployId).toBeNull();
    } finally {
      cloud().config.netlify.maxFilesPerDirectory = 54_000;
    }
    const outcome = await netlifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId: h.ctx.siteId, checkpoint: h.checkpoint }).ctx,
    );
    await expectServed(outcome, files);
  });
});

describe("user-token (the user's own account)", () => {
  it('names the site after the project with a short suffix, and picks another suffix when the name is taken', async () => {
    const siteId = randomUUID();
    const files = siteFiles('ut');
    const outcome = await netlifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files, siteId, siteName: 'My Portfolio!' }).ctx,
    );
    const suffix = siteId.replace(/-/g, '').slice(0, 6);
    expect(outcome.url).toBe(`http://my-portfolio-${suffix}.netlify.localhost:${cloud().port}`);
    expect(outcome.target.externalProjectId).toBe(LOCAL_NETLIFY.userAccountSlug);
    await expectServed(outcome, files);

    // Someone else holds the name this project would get: another suffix, in the user's account.
    const other = randomUUID();
    const taken = `my-portfolio-${other.replace(/-/g, '').slice(0, 6)}`;
    expect((await api(PLATFORM.token, 'POST', '/sites', { name: taken })).status).toBe(201);
    const before = await cloudStats(cloud().url);
    const second = await netlifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files, siteId: other, siteName: 'My Portfolio!' }).ctx,
    );
    const after = await cloudStats(cloud().url);
    expect(hostOf(second.url)).toMatch(new RegExp(`^${taken}-[0-9a-f]{6}\\.netlify\\.localhost$`));
    expect([count(after, before, CREATE_SITE, 422), count(after, before, CREATE_SITE, 201)]).toEqual([1, 1]);
    await expectServed(second, files);
  });

  it('verify answers who the token belongs to, never the token; a wrong token is an auth error a person can act on', async () => {
    const facts = await netlifyAdapter.verify(USER, settings);
    expect(facts).toEqual({ accountName: 'Local User', email: 'local.user@huskit.test', accountSlug: LOCAL_NETLIFY.userAccountSlug });
    expect(JSON.stringify(facts)).not.toContain(USER.token);

    const err = await netlifyAdapter.verify({ token: 'not-a-real-token' }, settings).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).kind).toBe('auth');
    expect((err as PlatformError).message).toMatch(/Netlify refused the access token\. Create a new personal access token/);
    expect(() => netlifyAdapter.parseCredentials({ token: '  ' })).toThrow(PlatformError);
  });
});

describe('faults', () => {
  it('uploads and polls go through 5xx, dropped connections and 429s with X-RateLimit-Reset', async () => {
    await setFaults(cloud().url, {
      seed: 5,
      rules: [
        { target: 'netlify', route: '/files/', kind: 'status', status: 502, count: 3 },
        { target: 'netlify', route: '/deploys/:deploy_id', method: 'GET', kind: 'drop', count: 1 },
        { target: 'netlify', route: '/sites/:site_id/deploys', method: 'POST', kind: 'status', status: 429, retryAfter: 0, count: 1 },
      ],
    });
    const files = siteFiles('faults');
    const before = await cloudStats(cloud().url);
    const outcome = await netlifyAdapter.deploy(memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files }).ctx);
    const after = await cloudStats(cloud().url);
    expect(after.faultsFired).toEqual({ 'rule-1': 3, 'rule-2': 1, 'rule-3': 1 });
    expect(count(after, before, CREATE_DEPLOY, 200)).toBe(1);
    expect(requestCount(after, 'files', 502) - requestCount(before, 'files', 502)).toBe(3);
    await expectServed(outcome, files);
  });

  it('a refused upload is sent again whole, read afresh from the store', async () => {
    const siteId = randomUUID();
    const first = await netlifyAdapter.deploy(
      memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files: { 'index.html': `<h1>${siteId}</h1>` }, siteId }).ctx,
    );
    // The redeploy needs one new file only: the one whose first upload is refused (a 502 before its
    // body is read; a lost answer would race the deploy, which takes no file once it has them all).
    const files: Files = { 'index.html': `<h1>${siteId}</h1>`, 'big.bin': randomBytes(300_001) };
    await setFaults(cloud().url, { rules: [{ target: 'netlify', route: '/files/', kind: 'status', status: 502, count: 1 }] });
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files, siteId, target: first.target });
    const before = await cloudStats(cloud().url);
    const outcome = await netlifyAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);
    expect(after.faultsFired).toEqual({ 'rule-1': 1 });
    expect((after.bytesReceived[UPLOADS] ?? 0) - (before.bytesReceived[UPLOADS] ?? 0)).toBe(300_001);
    expect(h.opened.filter((sha) => sha === h.ctx.manifest['big.bin']!.sha256)).toHaveLength(2);
    await expectServed(outcome, files);
  });

  it('sendWithRetry waits for X-RateLimit-Reset when a 429 has no Retry-After', async () => {
    const now = Date.now();
    expect(rateLimitResetIn(String(Math.floor(now / 1000) + 30), now)).toBeCloseTo(30 - (now % 1000) / 1000, 3);
    expect(rateLimitResetIn(String(Math.floor(now / 1000) - 5), now)).toBe(0);
    expect(rateLimitResetIn('soon', now)).toBeUndefined();

    const waits: number[] = [];
    let calls = 0;
    const res = await sendWithRetry({
      label: 'Netlify (test)',
      policy: settings.retries,
      sleep: async (ms) => void waits.push(ms),
      send: async () =>
        ++calls === 1
          ? new Response('{"code":429,"message":"slow down"}', { status: 429, headers: { 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 20) } })
          : new Response('{}', { status: 200 }),
    });
    expect(res.status).toBe(200);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(18_000);
    expect(waits[0]).toBeLessThanOrEqual(20_000);

    // Past the longest wait we accept, the call fails at once with a quota error naming when to try again
    // (and no retry time: the runner does not redo the deployment in a loop meanwhile).
    const err = await sendWithRetry({
      label: 'Netlify (test)',
      policy: settings.retries,
      sleep: async () => undefined,
      send: async () => new Response('{}', { status: 429, headers: { 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) } }),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'quota', retryAfterSeconds: undefined, message: expect.stringMatching(/try again in (59|60) minutes\.$/) });
  });
});

describe('as the real Netlify behaves (issue 14)', () => {
  /** The SHA-1 map the adapter sends for `files` (which hold a 404.html, so no _redirects is added). */
  const sha1Map = (files: Files) =>
    Object.fromEntries(
      Object.entries(files).map(([path, content]) => [
        path,
        createHash('sha1')
          .update(Buffer.isBuffer(content) ? content : Buffer.from(content))
          .digest('hex'),
      ]),
    );

  it('uploads the required files of a resumed deploy whatever its state, even when it reads "uploaded"', async () => {
    // netlify-cli (src/utils/deploy/deploy-site.ts) uploads every SHA-1 of `required` once the diff
    // is done, never looking at the state first; its waitForDiff (src/utils/deploy/util.ts) counts
    // prepared, uploading, uploaded and ready as "diff done". Here the team's store got the files
    // through another deploy, so our deploy reads "uploaded" while still expecting its own uploads.
    const files: Files = { 'index.html': `<h1>${randomUUID()}</h1>`, '404.html': `<h1>gone ${randomUUID()}</h1>`, 'a.css': `a{}/*${randomUUID()}*/` };
    const map = sha1Map(files);
    const siteId = randomUUID();
    const name = `huskit-${siteId.replace(/-/g, '').slice(0, 12)}`;
    const site = (await api(PLATFORM.token, 'POST', `/${LOCAL_NETLIFY.platformAccountSlug}/sites`, { name })).body as { id: string };
    // "Attempt 1" created the deploy, checkpointed it, and died before uploading anything.
    const ours = (await api(PLATFORM.token, 'POST', `/sites/${site.id}/deploys`, { files: map, async: false, draft: false })).body as {
      id: string;
      required: string[];
    };
    expect(ours.required).toHaveLength(3);
    const other = (await api(PLATFORM.token, 'POST', '/sites', { name: `other-${randomBytes(4).toString('hex')}` })).body as { id: string };
    const theirs = (await api(PLATFORM.token, 'POST', `/sites/${other.id}/deploys`, { files: map, async: false, draft: false })).body as { id: string };
    for (const [path, content] of Object.entries(files)) {
      const res = await fetch(`${cloud().url}/api/v1/deploys/${theirs.id}/files/${encodeURI(path)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${PLATFORM.token}`, 'content-type': 'application/octet-stream' },
        body: Buffer.isBuffer(content) ? new Uint8Array(content) : content,
      });
      expect(res.status).toBe(200);
    }
    expect((await api(PLATFORM.token, 'GET', `/deploys/${ours.id}`)).body.state).toBe('uploaded');

    const before = await cloudStats(cloud().url);
    const h = memoryDeployContext({
      settings,
      mode: 'platform-managed',
      credentials: PLATFORM,
      files,
      siteId,
      checkpoint: { siteId: site.id, deployId: ours.id },
    });
    const outcome = await netlifyAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);
    expect([count(after, before, CREATE_DEPLOY), count(after, before, UPLOADS, 200)]).toEqual([0, 3]);
    expect(h.checkpoint.deployId).toBe(ours.id);
    await expectServed(outcome, files);
  });

  it('a create-deploy answer lost after Netlify made the deploy: found by its title, not made twice', async () => {
    // netlify-cli sends `title` with createSiteDeploy (src/commands/deploy/deploy.ts) and Netlify
    // answers it on every deploy of GET /sites/{site_id}/deploys: our title names the deployment.
    await setFaults(cloud().url, { rules: [{ target: 'netlify', method: 'POST', route: '/sites/:site_id/deploys', kind: 'drop-after', count: 1 }] });
    const files = siteFiles('lost-deploy');
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files });
    const before = await cloudStats(cloud().url);
    const outcome = await netlifyAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);
    expect(after.faultsFired).toEqual({ 'rule-1': 1 });
    expect(count(after, before, CREATE_DEPLOY)).toBe(1);
    const deploys = (await api(PLATFORM.token, 'GET', `/sites/${outcome.target.externalId}/deploys`)).body as { id: string; title: string; state: string }[];
    expect(deploys.map((d) => [d.id, d.title, d.state])).toEqual([[h.checkpoint.deployId, `Huskit deployment ${h.ctx.deploymentId}`, 'ready']]);
    await expectServed(outcome, files);
  });

  it('uploads get a timeout scaled by their size, not the fixed one of small calls', async () => {
    // Small calls time out after 300 ms here; every upload is answered after 800 ms. A 400 KiB
    // file gets 300 ms + 1.6 s (timeoutForBytes), so it goes through on its first attempt.
    const shortTimeouts: AdapterSettings = { ...settings, retries: { ...DEFAULT_RETRY, baseDelayMs: 5, maxDelayMs: 20, attempts: 3, timeoutMs: 300 } };
    await setFaults(cloud().url, { rules: [{ target: 'netlify', method: 'PUT', route: '/files/', kind: 'delay', delayMs: 800 }] });
    const files: Files = { 'index.html': `<h1>${'x'.repeat(400 * 1024)}</h1>`, '404.html': `<h1>${'y'.repeat(400 * 1024)}</h1>` };
    const before = await cloudStats(cloud().url);
    const outcome = await netlifyAdapter.deploy(memoryDeployContext({ settings: shortTimeouts, mode: 'platform-managed', credentials: PLATFORM, files }).ctx);
    const after = await cloudStats(cloud().url);
    expect([count(after, before, UPLOADS, 200), count(after, before, UPLOADS, 0)]).toEqual([2, 0]);
    await expectServed(outcome, files);
  });
});
