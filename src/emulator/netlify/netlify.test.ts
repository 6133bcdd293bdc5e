// The local cloud's Netlify surface, driven by the official `@netlify/api` client (unchanged apart
// from its URL) the way netlify/cli drives it, then read back the way a visitor would: the bytes at
// the {name}.netlify.localhost URL.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NetlifyAPI } from '@netlify/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_NETLIFY } from '@/lib/platforms/netlify/local';
import { cloudNow, cloudStats, fetchSite, hostOf, moveCloudClock, requestCount, setFaults } from '@/testing/cloud';
import { defaultCloudConfig } from '../config';
import { startCloud, type RunningCloud } from '../server';

let cloud: RunningCloud;
let api: NetlifyAPI;
let tmp: string;

const clientFor = (token: string) => new NetlifyAPI(token, { scheme: 'http', host: `127.0.0.1:${cloud.port}`, pathPrefix: '/api/v1' });

beforeAll(async () => {
  const config = defaultCloudConfig({ port: 0 });
  config.netlify.stepMs = 30;
  cloud = await startCloud(config);
  api = clientFor(LOCAL_NETLIFY.platformToken);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'nf-emu-'));
});
afterAll(async () => {
  await cloud.close();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => setFaults(cloud.url, { rules: [] }));

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082',
  'hex',
);
const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');
const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
type Files = Record<string, Buffer>;

function site(tag: string): Files {
  return {
    'index.html': Buffer.from(`<!doctype html><h1>Home ${tag}</h1>`),
    'copy.html': Buffer.from(`<!doctype html><h1>Home ${tag}</h1>`), // same bytes as index.html
    'about.html': Buffer.from(`<h1>About ${tag}</h1>`),
    'docs/index.html': Buffer.from(`<h1>Docs ${tag}</h1>`),
    'css/site.css': Buffer.from(`body{color:red} /* ${tag} */`),
    'img/logo.png': PNG,
    'café/my ménu.txt': Buffer.from(`crème brûlée ${tag}`),
    'blob.bin': randomBytes(3000),
    '404.html': Buffer.from(`<h1>Lost ${tag}</h1>`),
    _redirects: Buffer.from('/old /about 301\n/app/* /index.html 200\n'),
    _headers: Buffer.from('/css/*\n  X-From-Headers: yes\n'),
  };
}

/** Streams a file from disk, as netlify/cli does (a chunked body without Content-Length). */
function streamOf(bytes: Buffer) {
  const file = path.join(tmp, randomBytes(8).toString('hex'));
  writeFileSync(file, bytes);
  return createReadStream(file);
}

/** Uploads every path whose SHA-1 is required (netlify/cli fans one SHA-1 out to all its paths). */
async function uploadRequired(deployId: string, files: Files, required: string[]) {
  const wanted = new Set(required);
  const paths = Object.keys(files).filter((p) => wanted.has(sha1(files[p]!)));
  for (const p of paths) await api.uploadDeployFile({ deploy_id: deployId, path: encodeURI(p), body: streamOf(files[p]!) });
  return paths;
}

async function waitFor(siteId: string, deployId: string, states: string[]) {
  for (let i = 0; i < 200; i++) {
    const d = await api.getSiteDeploy({ site_id: siteId, deploy_id: deployId });
    if (states.includes(d.state!)) return d;
    if (d.state === 'error') throw new Error(`deploy error: ${d.error_message}`);
    // The local cloud's clock moves deploys on (one step per state), not the wall clock.
    await moveCloudClock(cloud.url, { advanceMs: 30 });
  }
  throw new Error('deploy did not reach ' + states.join('|'));
}

async function deploySite(siteId: string, files: Files, extra: { draft?: boolean; leadingSlash?: boolean } = {}) {
  const map = Object.fromEntries(Object.entries(files).map(([p, b]) => [extra.leadingSlash ? `/${p}` : p, sha1(b)]));
  const deploy = await api.createSiteDeploy({ site_id: siteId, body: { files: map, draft: extra.draft ?? false } });
  const uploaded = await uploadRequired(deploy.id!, files, deploy.required ?? []);
  const ready = await waitFor(siteId, deploy.id!, ['ready']);
  return { deploy, ready, uploaded };
}

async function expectServes(host: string, files: Files) {
  for (const [p, bytes] of Object.entries(files)) {
    if (p.startsWith('_') || p === '404.html') continue;
    const res = await fetchSite(cloud.url, host, `/${encodeURI(p)}`);
    expect(res.status, p).toBe(200);
    expect(res.body.equals(bytes), p).toBe(true);
  }
}

describe('deploying with the official client', () => {
  it('creates a site in the team, deploys with the file map, uploads only what is required, and serves it', async () => {
    const name = uniqueName('emu-site');
    const created = await api.createSiteInTeam({ account_slug: LOCAL_NETLIFY.platformAccountSlug, body: { name } });
    expect(created).toMatchObject({ name, account_slug: LOCAL_NETLIFY.platformAccountSlug, ssl_url: `http://${name}.netlify.localhost:${cloud.port}` });

    const files = site('one');
    const { deploy, ready, uploaded } = await deploySite(created.id!, files, { leadingSlash: true });
    // Distinct SHA-1s, once each; both paths of the shared SHA-1 were uploaded.
    expect(new Set(deploy.required).size).toBe(deploy.required!.length);
    expect(deploy.required).toHaveLength(Object.keys(files).length - 1);
    expect(uploaded).toEqual(expect.arrayContaining(['index.html', 'copy.html']));
    expect(ready).toMatchObject({ state: 'ready', site_id: created.id, name, ssl_url: created.ssl_url, draft: false });
    expect((await api.getSite({ site_id: created.id! })).published_deploy?.id).toBe(deploy.id);

    const host = hostOf(ready.ssl_url!);
    await expectServes(host, files);
    const get = (p: string) => fetchSite(cloud.url, host, p);
    expect((await get('/css/site.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get('/css/site.css')).headers['x-from-headers']).toBe('yes');
    expect((await get('/img/logo.png')).headers['content-type']).toBe('image/png');
    expect((await get('/')).body.equals(files['index.html']!)).toBe(true);
    expect((await get('/about')).body.equals(files['about.html']!)).toBe(true);
    expect((await get('/docs/')).body.equals(files['docs/index.html']!)).toBe(true);
    expect([(await get('/docs')).status, (await get('/docs')).headers.location]).toEqual([301, '/docs/']);
    expect([(await get('/old')).status, (await get('/old')).headers.location]).toEqual([301, '/about']);
    const spa = await get('/app/settings/profile');
    expect([spa.status, spa.body.equals(files['index.html']!)]).toEqual([200, true]);
    const missing = await get('/nowhere');
    expect([missing.status, missing.body.equals(files['404.html']!)]).toEqual([404, true]);
    expect((await get('/_redirects')).status).toBe(404);
    // The permalink serves the same deploy.
    expect((await fetchSite(cloud.url, hostOf(ready.deploy_ssl_url!), '/about')).body.equals(files['about.html']!)).toBe(true);
  });

  it('redeploys in two steps (empty deploy, then the map, async): only the changed file is required; drafts stay off the live site; restore goes back', async () => {
    const s = await api.createSite({ body: { name: uniqueName('emu-redeploy') } });
    const files = site('two');
    const first = await deploySite(s.id!, files);

    const changed = { ...files, 'css/site.css': Buffer.from('body{color:blue}') };
    const empty = await api.createSiteDeploy({ site_id: s.id!, body: { draft: false } });
    expect(empty.state).toBe('new');
    const updated = await api.updateSiteDeploy({
      site_id: s.id!,
      deploy_id: empty.id!,
      body: { files: Object.fromEntries(Object.entries(changed).map(([p, b]) => [p, sha1(b)])), async: true },
    });
    expect(updated.state).toBe('preparing');
    const prepared = await waitFor(s.id!, empty.id!, ['prepared', 'uploading', 'uploaded', 'ready']);
    expect(prepared.required).toEqual([sha1(changed['css/site.css']!)]);
    expect(await uploadRequired(empty.id!, changed, prepared.required!)).toEqual(['css/site.css']);
    await waitFor(s.id!, empty.id!, ['ready']);
    const host = hostOf(s.ssl_url!);
    expect((await fetchSite(cloud.url, host, '/css/site.css')).body.toString()).toBe('body{color:blue}');

    // A draft (fixed at creation, whatever the PUT says) is served at its permalink only.
    const draftFiles = { ...changed, 'index.html': Buffer.from('<h1>draft</h1>') };
    const draft = await api.createSiteDeploy({ site_id: s.id!, body: { draft: true } });
    const draftMap = await api.updateSiteDeploy({
      site_id: s.id!,
      deploy_id: draft.id!,
      body: { files: Object.fromEntries(Object.entries(draftFiles).map(([p, b]) => [p, sha1(b)])), draft: false },
    });
    await uploadRequired(draft.id!, draftFiles, draftMap.required!);
    const draftReady = await waitFor(s.id!, draft.id!, ['ready']);
    expect(draftReady.draft).toBe(true);
    expect((await fetchSite(cloud.url, host, '/')).body.equals(files['index.html']!)).toBe(true);
    expect((await fetchSite(cloud.url, hostOf(draftReady.deploy_ssl_url!), '/')).body.toString()).toBe('<h1>draft</h1>');

    const restored = await api.restoreSiteDeploy({ site_id: s.id!, deploy_id: first.deploy.id! });
    expect(restored.id).toBe(first.deploy.id);
    expect((await fetchSite(cloud.url, host, '/css/site.css')).body.equals(files['css/site.css']!)).toBe(true);
    expect((await api.listSiteDeploys({ site_id: s.id! })).map((d) => d.id)).toEqual([draft.id, empty.id, first.deploy.id]);
  });

  it('cancels an unfinished deploy: it ends in error and takes no more files', async () => {
    const s = await api.createSite({ body: { name: uniqueName('emu-cancel') } });
    const files = { 'index.html': randomBytes(40) };
    const d = await api.createSiteDeploy({ site_id: s.id!, body: { files: { 'index.html': sha1(files['index.html']) } } });
    expect(d.state).toBe('uploading');
    await api.cancelSiteDeploy({ deploy_id: d.id! });
    expect(await api.getDeploy({ deploy_id: d.id! })).toMatchObject({ state: 'error', error_message: 'Canceled build' });
    await expect(api.uploadDeployFile({ deploy_id: d.id!, path: 'index.html', body: streamOf(files['index.html']) })).rejects.toMatchObject({ status: 422 });
  });
});

describe('refusals', () => {
  it('a bad or missing token is a 401 with a plain-text body', async () => {
    const err = await clientFor('not-a-token')
      .getCurrentUser()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TextHTTPError', status: 401, data: 'Unauthorized' });
    expect((await fetch(`${cloud.url}/api/v1/sites`)).status).toBe(401);
    expect(await api.getCurrentUser()).toMatchObject({ email: 'deploy@huskit.test', full_name: 'Huskit Deploy' });
  });

  it('uploads to an unknown path, with bytes that do not match, and paths with # are refused with 422', async () => {
    const s = await api.createSite({ body: { name: uniqueName('emu-refuse') } });
    const bytes = randomBytes(64);
    const d = await api.createSiteDeploy({ site_id: s.id!, body: { files: { 'a.txt': sha1(bytes) } } });
    const unknown = await api.uploadDeployFile({ deploy_id: d.id!, path: 'b.txt', body: streamOf(bytes) }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ name: 'JSONHTTPError', status: 422, json: { code: 422, message: 'No records matched' } });
    const mismatch = await api.uploadDeployFile({ deploy_id: d.id!, path: 'a.txt', body: streamOf(randomBytes(64)) }).catch((e: unknown) => e);
    expect(mismatch).toMatchObject({ status: 422, json: { message: 'Uploaded file a.txt did not match deploy' } });
    const hash = await api.createSiteDeploy({ site_id: s.id!, body: { files: { 'x#y.html': sha1(bytes) } } }).catch((e: unknown) => e);
    expect(hash).toMatchObject({ status: 422, json: { message: expect.stringMatching(/cannot contain # or \?/) } });
    const badSha = await api.createSiteDeploy({ site_id: s.id!, body: { files: { 'a.txt': 'abc' } } }).catch((e: unknown) => e);
    expect(badSha).toMatchObject({ status: 422 });
    // The right bytes still go through afterwards.
    await api.uploadDeployFile({ deploy_id: d.id!, path: 'a.txt', body: streamOf(bytes) });
    expect((await waitFor(s.id!, d.id!, ['ready'])).state).toBe('ready');
  });

  it('a taken or invalid name is a 422 with errors.subdomain; names are global across teams', async () => {
    const name = uniqueName('emu-taken');
    await api.createSite({ body: { name } });
    const other = clientFor(LOCAL_NETLIFY.userToken);
    const taken = await other.createSite({ body: { name } }).catch((e: unknown) => e);
    expect(taken).toMatchObject({ status: 422, json: { errors: { subdomain: ['must be unique'] } } });
    const invalid = await other.createSite({ body: { name: 'not_valid!' } }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 422 });
    // Another team's site does not exist for this token.
    const mine = (await api.listSites({ name, filter: 'all' })).filter((x) => x.name === name);
    expect(mine).toHaveLength(1);
    await expect(other.getSite({ site_id: mine[0]!.id! })).rejects.toMatchObject({ status: 404 });
  });

  it('enforces the deploys-per-minute limit with 429 and X-RateLimit-Reset', async () => {
    const s = await api.createSite({ body: { name: uniqueName('emu-rate') } });
    cloud.config.netlify.deploysPerMinute = 3;
    try {
      const post = () =>
        fetch(`${cloud.url}/api/v1/sites/${s.id}/deploys`, {
          method: 'POST',
          headers: { authorization: `Bearer ${LOCAL_NETLIFY.platformToken}`, 'content-type': 'application/json' },
          body: '{}',
        });
      for (let i = 0; i < 3; i++) {
        const ok = await post();
        expect(ok.status).toBe(200);
        expect(ok.headers.get('x-ratelimit-limit')).toBeTruthy();
      }
      const limited = await post();
      expect(limited.status).toBe(429);
      expect(await limited.json()).toMatchObject({ code: 429, message: expect.stringMatching(/3 deploys per minute/) });
      // In the cloud's time, which the tests move on.
      const reset = Number(limited.headers.get('x-ratelimit-reset'));
      const now = await cloudNow(cloud.url);
      expect(reset).toBeGreaterThan(now / 1000);
      expect(reset).toBeLessThanOrEqual(now / 1000 + 61);
    } finally {
      cloud.config.netlify.deploysPerMinute = 10_000;
    }
  });

  it('an injected 429 is retried by the official client after X-RateLimit-Reset', async () => {
    await setFaults(cloud.url, { rules: [{ target: 'netlify', route: '/deploys', method: 'POST', kind: 'status', status: 429, retryAfter: 0, count: 1 }] });
    const s = await api.createSite({ body: { name: uniqueName('emu-fault') } });
    const before = await cloudStats(cloud.url);
    const files = { 'index.html': Buffer.from(`<p>${randomBytes(8).toString('hex')}</p>`) };
    const { ready } = await deploySite(s.id!, files);
    const after = await cloudStats(cloud.url);
    expect(after.faultsFired).toEqual({ 'rule-1': 1 });
    const route = 'netlify POST /api/v1/sites/:site_id/deploys';
    expect((after.requests[route]?.[429] ?? 0) - (before.requests[route]?.[429] ?? 0)).toBe(1);
    expect((after.requests[route]?.[200] ?? 0) - (before.requests[route]?.[200] ?? 0)).toBe(1);
    expect((await fetchSite(cloud.url, hostOf(ready.ssl_url!), '/')).body.equals(files['index.html'])).toBe(true);
  });

  it('a deleted site is gone from the API and no longer served', async () => {
    const s = await api.createSite({ body: { name: uniqueName('emu-delete') } });
    const { ready } = await deploySite(s.id!, { 'index.html': randomBytes(20) });
    expect((await fetchSite(cloud.url, hostOf(ready.ssl_url!), '/')).status).toBe(200);
    const before = await cloudStats(cloud.url);
    await api.deleteSite({ site_id: s.id! });
    expect(
      requestCount(await cloudStats(cloud.url), 'netlify DELETE /api/v1/sites/:site_id', 204) -
        requestCount(before, 'netlify DELETE /api/v1/sites/:site_id', 204),
    ).toBe(1);
    await expect(api.getSite({ site_id: s.id! })).rejects.toMatchObject({ status: 404 });
    expect((await fetchSite(cloud.url, hostOf(ready.ssl_url!), '/')).status).toBe(404);
    expect((await api.listSites({ name: s.name!, filter: 'all' })).filter((x) => x.name === s.name)).toEqual([]);
  });
});

describe('persistence', () => {
  it('a restarted cloud serves what was deployed before', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nf-persist-'));
    try {
      const config = defaultCloudConfig({ port: 0, persistDir: dir });
      config.netlify.stepMs = 10;
      let first = await startCloud(config);
      const client = new NetlifyAPI(LOCAL_NETLIFY.platformToken, { scheme: 'http', host: `127.0.0.1:${first.port}`, pathPrefix: '/api/v1' });
      const s = await client.createSite({ body: { name: uniqueName('emu-persist') } });
      const bytes = randomBytes(100);
      const d = await client.createSiteDeploy({ site_id: s.id!, body: { files: { 'index.html': sha1(bytes) } } });
      await client.uploadDeployFile({ deploy_id: d.id!, path: 'index.html', body: streamOf(bytes) });
      await moveCloudClock(first.url, { advanceMs: 3 * config.netlify.stepMs });
      expect((await client.getDeploy({ deploy_id: d.id! })).state).toBe('ready');
      await first.close();

      first = await startCloud(defaultCloudConfig({ port: 0, persistDir: dir }));
      try {
        const res = await fetchSite(first.url, `${s.name}.netlify.localhost`, '/');
        expect([res.status, res.body.equals(bytes)]).toEqual([200, true]);
        expect((await cloudStats(first.url)).blobs['netlify.files']).toBe(1);
      } finally {
        await first.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('as the real Netlify behaves (issue 14)', () => {
  it('a deploy is processed only once its own required files came: bytes another deploy sent make it read "uploaded", not ready', async () => {
    // netlify-cli's waitForDiff (src/utils/deploy/util.ts) takes prepared | uploading | uploaded |
    // ready as "diff done", and deploy-site.ts then uploads every SHA-1 of `required` whatever the
    // state: a client that skips the uploads because the state reads "uploaded" never gets to ready.
    const files: Files = { 'index.html': randomBytes(64), 'a.css': randomBytes(64) };
    const map = Object.fromEntries(Object.entries(files).map(([p, b]) => [p, sha1(b)]));
    const mine = await api.createSite({ body: { name: uniqueName('emu-mine') } });
    const theirs = await api.createSite({ body: { name: uniqueName('emu-theirs') } });
    const ours = await api.createSiteDeploy({ site_id: mine.id!, body: { files: map } });
    const other = await api.createSiteDeploy({ site_id: theirs.id!, body: { files: map } });
    expect([ours.state, ours.required?.length]).toEqual(['uploading', 2]);
    await uploadRequired(other.id!, files, other.required ?? []);
    await waitFor(theirs.id!, other.id!, ['ready']);

    // Long after the other deploy went live, ours still waits for its own uploads.
    await moveCloudClock(cloud.url, { advanceMs: 60_000 });
    expect((await api.getSiteDeploy({ site_id: mine.id!, deploy_id: ours.id! })).state).toBe('uploaded');
    await uploadRequired(ours.id!, files, ours.required ?? []);
    expect((await waitFor(mine.id!, ours.id!, ['ready'])).state).toBe('ready');
    await expectServes(`${mine.name}.netlify.localhost`, files);
  });

  it("a deploy keeps the title it was created with, and the site's deploy list answers it", async () => {
    // netlify-cli: api.createSiteDeploy({ siteId, title, body }) (src/commands/deploy/deploy.ts).
    const s = await api.createSite({ body: { name: uniqueName('emu-title') } });
    const d = await api.createSiteDeploy({ site_id: s.id!, title: 'Huskit deployment 42', body: { files: { 'index.html': sha1(randomBytes(8)) } } });
    const list = await api.listSiteDeploys({ site_id: s.id! });
    expect(list.map((x) => [x.id, x.title])).toEqual([[d.id, 'Huskit deployment 42']]);
  });
});
