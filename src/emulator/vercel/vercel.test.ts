// The local cloud's Vercel surface, driven by the official `@vercel/client` (unchanged apart from its
// apiUrl), then read back the way a visitor would: the bytes at the vercel.localhost URL. Plus the
// refusals a strict Vercel gives, rate limits, faults, deletion and persistence.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDeployment } from '@vercel/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_VERCEL } from '@/lib/platforms/vercel/local';
import { cloudStats, fetchSite, moveCloudClock, requestCount, setFaults } from '@/testing/cloud';
import { defaultCloudConfig, type CloudConfig } from '../config';
import { startCloud, type RunningCloud } from '../server';
import { LOCAL_VERCEL_USER_TEAM } from './config';

const TEAM = LOCAL_VERCEL.platformTeamId;
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082',
  'hex',
);

let cloud: RunningCloud;
const testConfig = (overrides: Partial<Pick<CloudConfig, 'persistDir'>> = {}) => {
  const config = defaultCloudConfig({ port: 0, ...overrides });
  config.vercel.stepMs = 50;
  return config;
};
beforeAll(async () => {
  cloud = await startCloud(testConfig());
});
afterAll(() => cloud.close());
beforeEach(() => setFaults(cloud.url, { rules: [] }));

const apiUrl = () => `${cloud.url}/vercel`;
const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest('hex');

type Files = Record<string, string | Buffer>;
const site = (tag: string): Files => ({
  'index.html': `<!doctype html><h1>${tag}</h1>`,
  'about/index.html': `<h1>About ${tag}</h1>`,
  'css/site.css': 'body{color:red}',
  'img/logo.png': PNG,
  'café/ménu.txt': `crème brûlée ${tag}`,
  _redirects: '/old /new 301',
});

function folder(files: Files): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vercel-site-'));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), content);
  }
  return dir;
}

/** The official client from folder to the end; answers every event type and the final deployment. */
async function clientDeploy(files: Files, opts: { name: string; token?: string; teamId?: string; deployment?: Record<string, unknown> }) {
  const events: { type: string; payload: any }[] = [];
  for await (const event of createDeployment(
    {
      token: opts.token ?? LOCAL_VERCEL.platformToken,
      path: folder(files),
      apiUrl: apiUrl(),
      ...(opts.teamId ? { teamId: opts.teamId } : {}),
      skipAutoDetectionConfirmation: true,
    },
    { name: opts.name, target: 'production', projectSettings: { framework: null }, ...opts.deployment } as never,
  )) {
    events.push(event as { type: string; payload: any });
    if (event.type === 'alias-assigned' || event.type === 'error') break;
  }
  const last = events[events.length - 1]!;
  return { events, types: events.map((e) => e.type), last };
}

async function api(method: string, p: string, opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) {
  const token = opts.token === undefined ? LOCAL_VERCEL.platformToken : opts.token;
  const res = await fetch(`${apiUrl()}${p}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(opts.body !== undefined && !Buffer.isBuffer(opts.body) ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    ...(opts.body !== undefined ? { body: Buffer.isBuffer(opts.body) ? new Uint8Array(opts.body) : JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : null };
}

/** A chunked upload (no Content-Length), which fetch cannot send with a Buffer body. */
function rawUpload(bytes: Buffer, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const { port } = new URL(cloud.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/vercel/v2/files?teamId=${TEAM}`,
        headers: { authorization: `Bearer ${LOCAL_VERCEL.platformToken}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      },
    );
    req.on('error', reject);
    req.write(bytes);
    req.end();
  });
}

async function expectServed(host: string, files: Files) {
  for (const [p, content] of Object.entries(files)) {
    const res = await fetchSite(cloud.url, host, `/${encodeURI(p)}`);
    expect(res.status, p).toBe(200);
    expect(res.body.equals(Buffer.isBuffer(content) ? content : Buffer.from(content)), p).toBe(true);
  }
}

const hostOnly = (alias: string) => alias.replace(/:\d+$/, '');
/** The production domain among a deployment's aliases: the local cloud lists the scope-suffixed (protected) one first, as Vercel may. */
const production = (alias: string[]) => hostOnly(alias[alias.length - 1]!);

describe('deploying with the official @vercel/client', () => {
  it('goes through missing_files → /v2/files → create again, then READY and the production alias serves the exact bytes', async () => {
    const files = site('one');
    const before = await cloudStats(cloud.url);
    const { types, last } = await clientDeploy(files, { name: 'client-site', teamId: TEAM });
    expect(last.type).toBe('alias-assigned');
    expect(types).toContain('file-count');
    expect(types).toContain('all-files-uploaded');
    expect(types).toContain('created');
    const after = await cloudStats(cloud.url);
    expect(requestCount(after, 'vercel POST /vercel/v13/deployments', 400) - requestCount(before, 'vercel POST /vercel/v13/deployments', 400)).toBe(1);
    expect(requestCount(after, 'vercel POST /vercel/v13/deployments', 200) - requestCount(before, 'vercel POST /vercel/v13/deployments', 200)).toBe(1);
    expect(requestCount(after, 'vercel POST /vercel/v2/files') - requestCount(before, 'vercel POST /vercel/v2/files')).toBe(Object.keys(files).length);

    const deployment = last.payload;
    expect(deployment.readyState).toBe('READY');
    expect(typeof deployment.aliasAssigned).toBe('number');
    // The scope-suffixed alias first, then the production domain; only the latter is public.
    expect(deployment.alias).toEqual([
      `client-site-${LOCAL_VERCEL.platformTeamSlug}.vercel.localhost:${cloud.port}`,
      `client-site.vercel.localhost:${cloud.port}`,
    ]);
    const guarded = await fetchSite(cloud.url, hostOnly(deployment.alias[0]), '/');
    expect([guarded.status, guarded.body.toString()]).toEqual([401, expect.stringContaining('Authentication Required')]);
    const domains = await api('GET', `/v9/projects/${deployment.projectId}/domains?production=true&teamId=${TEAM}`);
    expect(domains.body.domains.map((d: { name: string }) => d.name)).toEqual([`client-site.vercel.localhost:${cloud.port}`]);
    expect(deployment.ownerId).toBe(TEAM);
    await expectServed(production(deployment.alias), files);
    // The deployment's own host serves it too; folders answer their index.html; types by extension.
    await expectServed(hostOnly(deployment.url), files);
    const about = await fetchSite(cloud.url, production(deployment.alias), '/about');
    expect([about.status, about.body.toString()]).toEqual([200, '<h1>About one</h1>']);
    expect((await fetchSite(cloud.url, production(deployment.alias), '/')).headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await fetchSite(cloud.url, production(deployment.alias), '/img/logo.png')).headers['content-type']).toBe('image/png');
    // _redirects means nothing on Vercel: a plain file, and /old is a 404.
    expect((await fetchSite(cloud.url, production(deployment.alias), '/old')).status).toBe(404);

    // A redeploy with the same files uploads nothing and moves the alias.
    const again = await clientDeploy({ ...files, 'index.html': '<h1>two</h1>' }, { name: 'client-site', teamId: TEAM });
    expect(again.last.type).toBe('alias-assigned');
    expect(requestCount(await cloudStats(cloud.url), 'vercel POST /vercel/v2/files') - requestCount(after, 'vercel POST /vercel/v2/files')).toBe(1);
    expect((await fetchSite(cloud.url, production(deployment.alias), '/')).body.toString()).toBe('<h1>two</h1>');
    // The first deployment's own host still serves the first version.
    expect((await fetchSite(cloud.url, hostOnly(deployment.url), '/')).body.toString()).toBe('<!doctype html><h1>one</h1>');
  });

  it("deploys into a user's personal account (no team) and into the user's team with teamId", async () => {
    const personal = await clientDeploy({ 'index.html': 'personal' }, { name: 'mine', token: LOCAL_VERCEL.userToken });
    expect(personal.last.type).toBe('alias-assigned');
    expect(personal.last.payload.ownerId).toMatch(/^user_/);
    const team = await clientDeploy({ 'index.html': 'team' }, { name: 'ours', token: LOCAL_VERCEL.userToken, teamId: LOCAL_VERCEL_USER_TEAM.id });
    expect(team.last.payload.ownerId).toBe(LOCAL_VERCEL_USER_TEAM.id);
    expect((await fetchSite(cloud.url, production(team.last.payload.alias), '/')).body.toString()).toBe('team');
    // The user's token does not cover the quick-deploy team.
    const refused = await clientDeploy({ 'index.html': 'x' }, { name: 'nope', token: LOCAL_VERCEL.userToken, teamId: TEAM });
    expect([refused.last.type, refused.last.payload.status, refused.last.payload.code]).toEqual(['error', 403, 'forbidden']);
  });

  it('serves public/ when the folder has one (the "Other" preset), and SPA rewrites after the filesystem', async () => {
    const withPublic = await clientDeploy({ 'README.md': 'not served', 'public/index.html': 'from public' }, { name: 'has-public', teamId: TEAM });
    const host = production(withPublic.last.payload.alias);
    expect((await fetchSite(cloud.url, host, '/')).body.toString()).toBe('from public');
    expect((await fetchSite(cloud.url, host, '/README.md')).status).toBe(404);

    const spa = await clientDeploy(
      { 'index.html': 'app shell', 'app.js': 'js', '404.html': 'never for SPA' },
      {
        name: 'spa-site',
        teamId: TEAM,
        deployment: {
          rewrites: [{ source: '/(.*)', destination: '/index.html' }],
          headers: [{ source: '/app.js', headers: [{ key: 'X-Test', value: 'yes' }] }],
        },
      },
    );
    const spaHost = production(spa.last.payload.alias);
    const deep = await fetchSite(cloud.url, spaHost, '/dashboard/settings');
    expect([deep.status, deep.body.toString()]).toEqual([200, 'app shell']);
    const js = await fetchSite(cloud.url, spaHost, '/app.js');
    expect([js.body.toString(), js.headers['x-test']]).toEqual(['js', 'yes']);

    const pages = await clientDeploy(
      { 'index.html': 'home', '404.html': 'custom missing', 'about.html': 'about' },
      { name: 'pages-site', teamId: TEAM, deployment: { cleanUrls: true } },
    );
    const pagesHost = production(pages.last.payload.alias);
    const missing = await fetchSite(cloud.url, pagesHost, '/nope');
    expect([missing.status, missing.body.toString()]).toEqual([404, 'custom missing']);
    expect((await fetchSite(cloud.url, pagesHost, '/about')).body.toString()).toBe('about');
    const moved = await fetchSite(cloud.url, pagesHost, '/about.html');
    expect([moved.status, moved.headers.location]).toEqual([308, '/about']);
  });
});

describe('refusals', () => {
  it('answers 403 invalidToken for an unknown token and missingToken without one', async () => {
    const bad = await api('GET', '/v2/user', { token: 'nope' });
    expect([bad.status, bad.body]).toEqual([403, { error: { code: 'forbidden', message: 'Not authorized', invalidToken: true } }]);
    const none = await api('GET', '/v2/user', { token: null });
    expect([none.status, none.body.error.missingToken]).toEqual([403, true]);
    const client = await clientDeploy({ 'index.html': 'x' }, { name: 'bad-token', token: 'not-a-token' });
    expect([client.last.type, client.last.payload.status, client.last.payload.invalidToken]).toEqual(['error', 403, true]);
  });

  it('verifies the SHA-1 and the size of an upload, and answers {} for a file it already has', async () => {
    const bytes = Buffer.from('hello vercel');
    const wrong = 'a'.repeat(40);
    const mismatch = await api('POST', `/v2/files?teamId=${TEAM}`, {
      body: bytes,
      headers: { 'x-vercel-digest': wrong, 'content-type': 'application/octet-stream' },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.message).toBe(`SHA1 sum of the file (${sha1(bytes)}) doesn't match the provided SHA1 sum (${wrong}).`);
    const short = await api('POST', `/v2/files?teamId=${TEAM}`, { body: bytes, headers: { 'x-now-digest': 'abc' } });
    expect([short.status, short.body.error.code]).toEqual([400, 'invalid_digest']);
    const noDigest = await api('POST', `/v2/files?teamId=${TEAM}`, { body: bytes });
    expect([noDigest.status, noDigest.body.error.code]).toEqual([400, 'missing_digest']);
    // Streamed without Content-Length: x-now-size names the size, and it must be right.
    const sizeLie = await rawUpload(bytes, { 'x-now-digest': sha1(bytes), 'x-now-size': '3' });
    expect([sizeLie.status, sizeLie.body.error.code]).toEqual([400, 'invalid_file_size']);

    const first = await api('POST', `/v2/files?teamId=${TEAM}`, { body: bytes, headers: { 'x-vercel-digest': sha1(bytes) } });
    expect([first.status, first.body]).toEqual([200, { urls: [] }]);
    const second = await api('POST', `/v2/files?teamId=${TEAM}`, { body: bytes, headers: { 'x-now-digest': sha1(bytes) } });
    expect([second.status, second.body]).toEqual([200, {}]);
  });

  it('lists each missing SHA-1 once, and again if the files are still not uploaded', async () => {
    const a = Buffer.from('missing a');
    const files = [
      { file: 'index.html', sha: sha1(a), size: a.length },
      { file: 'copy.html', sha: sha1(a), size: a.length },
      { file: 'b.txt', sha: sha1('missing b'), size: 9 },
    ];
    for (let i = 0; i < 2; i++) {
      const res = await api('POST', `/v13/deployments?teamId=${TEAM}`, { body: { name: 'missing-twice', files } });
      expect([res.status, res.body]).toEqual([400, { error: { code: 'missing_files', message: 'Missing files', missing: [sha1(a), sha1('missing b')] } }]);
    }
    expect((await api('GET', `/v9/projects/missing-twice?teamId=${TEAM}`)).status).toBe(404);
    const inlineWithSha = await api('POST', `/v13/deployments?teamId=${TEAM}`, {
      body: { name: 'x', files: [{ file: 'index.html', data: 'x', sha: sha1('x') }] },
    });
    expect(inlineWithSha.status).toBe(400);
    const traversal = await api('POST', `/v13/deployments?teamId=${TEAM}`, { body: { name: 'x', files: [{ file: '../etc/passwd', data: 'x' }] } });
    expect([traversal.status, traversal.body.error.code]).toEqual([400, 'invalid_file']);
    const tooMany = await api('POST', `/v13/deployments?teamId=${TEAM}`, {
      body: { name: 'x', files: Array.from({ length: 15_001 }, (_, i) => ({ file: `f${i}`, data: '' })) },
    });
    expect([tooMany.status, tooMany.body.error.message]).toEqual([400, 'Invalid request: `files` should NOT have more than 15000 items.']);
  });

  it('refuses invalid project names (created implicitly or explicitly) and duplicates', async () => {
    for (const name of ['My Site', 'a---b', 'x'.repeat(101), 'UPPER']) {
      const res = await api('POST', `/v11/projects?teamId=${TEAM}`, { body: { name } });
      expect([name, res.status, res.body.error.code]).toEqual([name, 400, 'invalid_project_name']);
    }
    const inline = await api('POST', `/v13/deployments?teamId=${TEAM}`, { body: { name: 'Bad Name', files: [{ file: 'index.html', data: 'x' }] } });
    expect([inline.status, inline.body.error.code]).toEqual([400, 'invalid_project_name']);
    expect((await api('POST', `/v1/projects?teamId=${TEAM}`, { body: { name: 'twice.site_ok' } })).status).toBe(200);
    expect((await api('POST', `/v10/projects?teamId=${TEAM}`, { body: { name: 'twice.site_ok' } })).status).toBe(409);
  });

  it('a team the token does not cover is 403; an unknown team is 404', async () => {
    expect((await api('GET', `/v9/projects?teamId=${LOCAL_VERCEL_USER_TEAM.id}`)).status).toBe(403);
    expect((await api('GET', `/teams/${LOCAL_VERCEL_USER_TEAM.id}`)).status).toBe(403);
    expect((await api('GET', '/v9/projects?teamId=team_nope')).status).toBe(404);
    expect((await api('GET', `/v9/projects?slug=${LOCAL_VERCEL.platformTeamSlug}`)).status).toBe(200);
    const teams = await api('GET', '/v2/teams', { token: LOCAL_VERCEL.userToken });
    expect(teams.body.teams.map((t: { id: string }) => t.id)).toEqual([LOCAL_VERCEL_USER_TEAM.id]);
  });
});

describe('lifecycle', () => {
  it('QUEUED → BUILDING → READY, cancel, a failing build, rollback and promote re-point the alias', async () => {
    // Steps long enough that only the moved clock makes progress: no race with real time.
    const saved = cloud.config.vercel.stepMs;
    cloud.config.vercel.stepMs = 60_000;
    try {
      await lifecycle();
    } finally {
      cloud.config.vercel.stepMs = saved;
    }
  });

  async function lifecycle() {
    const step = (n = 1) => moveCloudClock(cloud.url, { advanceMs: n * 60_000 + 1 });
    const body = (tag: string) => ({ name: 'life-cycle', target: 'production', files: [{ file: 'index.html', data: tag }] });
    const first = await api('POST', `/v13/deployments?teamId=${TEAM}`, { body: body('v1') });
    expect([first.status, first.body.readyState, first.body.aliasAssigned]).toEqual([200, 'QUEUED', null]);
    expect(first.headers.get('x-ratelimit-limit')).toBeTruthy();
    await step();
    expect((await api('GET', `/v13/deployments/${first.body.id}?teamId=${TEAM}`)).body.readyState).toBe('BUILDING');
    await step();
    const ready = await api('GET', `/v13/deployments/${first.body.url}?teamId=${TEAM}`);
    expect([ready.body.id, ready.body.readyState, typeof ready.body.aliasAssigned]).toEqual([first.body.id, 'READY', 'number']);
    const events = await fetch(`${apiUrl()}/v3/now/deployments/${first.body.id}/events?teamId=${TEAM}&follow=1`, {
      headers: { authorization: `Bearer ${LOCAL_VERCEL.platformToken}` },
    });
    expect(
      (await events.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toContain('stdout');

    const canceled = await api('POST', `/v13/deployments?teamId=${TEAM}`, { body: body('never') });
    expect((await api('PATCH', `/v12/deployments/${canceled.body.id}/cancel?teamId=${TEAM}`)).body.readyState).toBe('CANCELED');

    const failing = await api('POST', `/v13/deployments?teamId=${TEAM}`, { body: { ...body('x'), projectSettings: { buildCommand: 'npm run build' } } });
    await step(2);
    const failed = await api('GET', `/v13/deployments/${failing.body.id}?teamId=${TEAM}`);
    expect([failed.body.readyState, failed.body.errorCode]).toEqual(['ERROR', 'BUILD_FAILED']);
    expect(failed.body.errorMessage).toMatch(/npm run build/);

    const second = await api('POST', `/v13/deployments?teamId=${TEAM}`, { body: { ...body('v2'), projectSettings: { buildCommand: '' } } });
    await step(2);
    const alias = production((await api('GET', `/v13/deployments/${second.body.id}?teamId=${TEAM}`)).body.alias);
    expect((await fetchSite(cloud.url, alias, '/')).body.toString()).toBe('v2');

    const project = first.body.projectId;
    expect((await api('POST', `/v9/projects/${project}/rollback/${first.body.id}?teamId=${TEAM}`, { body: {} })).status).toBe(201);
    expect((await fetchSite(cloud.url, alias, '/')).body.toString()).toBe('v1');
    const info = await api('GET', `/v9/projects/${project}?rollbackInfo=true&teamId=${TEAM}`);
    expect(info.body.lastAliasRequest).toMatchObject({
      jobStatus: 'succeeded',
      toDeploymentId: first.body.id,
      fromDeploymentId: second.body.id,
      type: 'rollback',
    });
    expect((await api('POST', `/v10/projects/${project}/promote/${second.body.id}?teamId=${TEAM}`, { body: {} })).status).toBe(201);
    expect((await fetchSite(cloud.url, alias, '/')).body.toString()).toBe('v2');
    expect((await api('GET', `/now/deployments/${second.body.id}/aliases?teamId=${TEAM}`)).body.aliases).toHaveLength(1);

    expect((await api('DELETE', `/v13/deployments/${first.body.id}?teamId=${TEAM}`)).body).toEqual({ uid: first.body.id, state: 'DELETED' });
    expect((await fetchSite(cloud.url, hostOnly(first.body.url), '/')).status).toBe(404);
    expect((await api('DELETE', `/now/deployments/${second.body.id}?teamId=${TEAM}&hard=0`)).status).toBe(200);
    expect((await fetchSite(cloud.url, alias, '/')).status).toBe(404);
  }

  // Vercel: after an instant rollback, new production deployments are no longer given the production
  // domains until the project is promoted again (https://vercel.com/docs/instant-rollback; "To undo a
  // rollback, promote a deployment using vercel promote", https://vercel.com/docs/cli/rollback; the CLI's
  // promote is POST /v10/projects/{id}/promote/{deploymentId}, vercel/vercel
  // packages/cli/src/commands/promote/request-promote.ts).
  it('after a rollback a new production deployment is READY but STAGED, without the production domain, until a promote', async () => {
    const body = (tag: string) => ({
      name: 'rolled-back',
      target: 'production',
      projectSettings: { buildCommand: '' },
      files: [{ file: 'index.html', data: tag }],
    });
    const ready = async (tag: string) => {
      const created = await api('POST', `/v13/deployments?teamId=${TEAM}`, { body: body(tag) });
      await moveCloudClock(cloud.url, { advanceMs: 200 });
      return (await api('GET', `/v13/deployments/${created.body.id}?teamId=${TEAM}`)).body;
    };
    const v1 = await ready('v1');
    const v2 = await ready('v2');
    const host = production(v2.alias);
    expect((await api('POST', `/v9/projects/${v1.projectId}/rollback/${v1.id}?teamId=${TEAM}`, { body: {} })).status).toBe(201);
    expect((await fetchSite(cloud.url, host, '/')).body.toString()).toBe('v1');

    const v3 = await ready('v3');
    expect([v3.readyState, v3.readySubstate, v3.aliasAssigned, v3.alias]).toEqual(['READY', 'STAGED', null, []]);
    expect((await fetchSite(cloud.url, host, '/')).body.toString()).toBe('v1');
    const info = await api('GET', `/v9/projects/${v1.projectId}?rollbackInfo=true&teamId=${TEAM}`);
    expect(info.body.lastAliasRequest).toMatchObject({ type: 'rollback', toDeploymentId: v1.id, jobStatus: 'succeeded' });

    expect((await api('POST', `/v10/projects/${v1.projectId}/promote/${v3.id}?teamId=${TEAM}`, { body: {} })).status).toBe(201);
    expect((await fetchSite(cloud.url, host, '/')).body.toString()).toBe('v3');
    const promoted = (await api('GET', `/v13/deployments/${v3.id}?teamId=${TEAM}`)).body;
    expect([promoted.readySubstate, typeof promoted.aliasAssigned, production(promoted.alias)]).toEqual(['PROMOTED', 'number', host]);
    // Promoted again: the next production deployment takes the domain by itself.
    const v4 = await ready('v4');
    expect([v4.readySubstate, production(v4.alias)]).toEqual(['PROMOTED', host]);
    expect((await fetchSite(cloud.url, host, '/')).body.toString()).toBe('v4');
  });

  it('GET /v6/deployments filters by project and by meta-{key}, newest first, in the v6 shape', async () => {
    const make = (tag: string, meta: Record<string, string>) =>
      api('POST', `/v13/deployments?teamId=${TEAM}`, { body: { name: 'listed', target: 'production', meta, files: [{ file: 'index.html', data: tag }] } });
    const a = await make('a', { huskitDeploymentId: 'one' });
    const b = await make('b', { huskitDeploymentId: 'two' });
    const c = await make('c', { huskitDeploymentId: 'two', extra: 'x' });
    const list = (q: string) =>
      api('GET', `/v6/deployments?${q}&teamId=${TEAM}`).then((r) => r.body.deployments as { uid: string; state: string; meta: Record<string, string> }[]);
    expect((await list(`projectId=${a.body.projectId}&meta-huskitDeploymentId=two`)).map((d) => d.uid)).toEqual([c.body.id, b.body.id]);
    expect((await list(`projectId=listed&meta-huskitDeploymentId=two&meta-extra=x`)).map((d) => d.uid)).toEqual([c.body.id]);
    // Its state in the v6 shape, once built (the cloud's clock moved past its steps, not waited for).
    await moveCloudClock(cloud.url, { advanceMs: 10 * 50 });
    expect((await list(`projectId=${a.body.projectId}&meta-huskitDeploymentId=one`))[0]).toMatchObject({
      uid: a.body.id,
      state: 'READY',
      readyState: 'READY',
      meta: { huskitDeploymentId: 'one' },
    });
    expect(await list(`projectId=${a.body.projectId}&meta-huskitDeploymentId=none`)).toEqual([]);
    expect(await list('projectId=prj_unknown')).toEqual([]);
  });

  it('deleting a project deletes its deployments: the site is gone', async () => {
    const { last } = await clientDeploy({ 'index.html': 'bye' }, { name: 'to-delete', teamId: TEAM });
    const host = production(last.payload.alias);
    expect((await fetchSite(cloud.url, host, '/')).status).toBe(200);
    const del = await api('DELETE', `/v9/projects/to-delete?teamId=${TEAM}`);
    expect([del.status, del.headers.get('x-ratelimit-limit')]).toEqual([204, '100000']);
    expect((await fetchSite(cloud.url, host, '/')).status).toBe(404);
    expect((await fetchSite(cloud.url, hostOnly(last.payload.url), '/')).status).toBe(404);
    expect((await api('GET', `/v13/deployments/${last.payload.id}?teamId=${TEAM}`)).status).toBe(404);
    expect((await api('DELETE', `/v2/projects/to-delete?teamId=${TEAM}`)).status).toBe(404);
  });

  it('lists projects with search and pagination', async () => {
    for (const n of ['list-a', 'list-b', 'list-c']) await api('POST', `/v11/projects?teamId=${TEAM}`, { body: { name: n } });
    const page1 = await api('GET', `/v9/projects?teamId=${TEAM}&search=list-&limit=2`);
    expect(page1.body.projects).toHaveLength(2);
    const page2 = await api('GET', `/v9/projects?teamId=${TEAM}&search=list-&limit=2&until=${page1.body.pagination.next}`);
    expect([...page1.body.projects, ...page2.body.projects].map((p: { name: string }) => p.name).sort()).toEqual(['list-a', 'list-b', 'list-c']);
    expect(page2.body.pagination.next).toBeNull();
  });
});

describe('limits and faults', () => {
  it('a strict deployments-per-day limit answers 429 with Retry-After and error.limit.reset', async () => {
    const strict = testConfig();
    strict.vercel.deploymentsPerDay = 2;
    const limited = await startCloud(strict);
    try {
      const create = () =>
        fetch(`${limited.url}/vercel/v13/deployments?teamId=${TEAM}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${LOCAL_VERCEL.platformToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'daily', files: [{ file: 'index.html', data: 'x' }] }),
        });
      expect((await create()).status).toBe(200);
      expect((await create()).status).toBe(200);
      const refused = await create();
      const body = (await refused.json()) as { error: { code: string; limit: { reset: number } } };
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(80_000);
      expect(body.error.code).toBe('api-deployments-free-per-day');
      expect(body.error.limit.reset).toBeGreaterThan(Date.now() + 23 * 3600_000);
    } finally {
      await limited.close();
    }
  });

  it('the per-minute request limit shows in X-RateLimit-* and answers 429 when spent', async () => {
    const strict = testConfig();
    strict.vercel.requestsPerMinute = 3;
    const limited = await startCloud(strict);
    try {
      const get = () => fetch(`${limited.url}/vercel/v2/user`, { headers: { authorization: `Bearer ${LOCAL_VERCEL.platformToken}` } });
      const first = await get();
      expect([first.headers.get('x-ratelimit-limit'), first.headers.get('x-ratelimit-remaining')]).toEqual(['3', '2']);
      await get();
      await get();
      const refused = await get();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBeTruthy();
    } finally {
      await limited.close();
    }
  });

  it("injected faults answer in Vercel's error shape, with Retry-After on a 429", async () => {
    await setFaults(cloud.url, {
      rules: [
        { target: 'vercel', route: '/v2/files', kind: 'status', status: 503, count: 1 },
        { target: 'vercel', route: '/v2/user', kind: 'status', status: 429, retryAfter: 7, count: 1 },
      ],
    });
    const res = await api('POST', `/v2/files?teamId=${TEAM}`, { body: Buffer.from('x'), headers: { 'x-vercel-digest': sha1('x') } });
    expect([res.status, res.body.error.code]).toEqual([503, 'internal_server_error']);
    const limited = await api('GET', '/v2/user');
    expect([limited.status, limited.body.error.code, limited.headers.get('retry-after')]).toEqual([429, 'rate_limited', '7']);
  });

  // The spec (§3.2) notes that @vercel/client retries 5xx uploads only from the 64.x CLI bundle on; the
  // 18.4.2 library installed here bails on a 5xx and on a closed connection ("other side closed" is not
  // in its list of network errors). What a user sees: the run fails with Vercel's message, and running
  // it again uploads only what is still missing and completes.
  it.each([
    ['a 500 answer', { kind: 'status', status: 500 }, 'An unexpected internal error occurred.'],
    ['a dropped connection', { kind: 'drop' }, 'fetch failed'],
  ])('a fault on /v2/files (%s): the @vercel/client run fails, a second run completes', async (_label, fault, message) => {
    await setFaults(cloud.url, { rules: [{ target: 'vercel', route: '/v2/files', count: 1, ...fault }] });
    const name = `fault-${fault.kind}`;
    const files = { 'index.html': `<h1>${name}</h1>`, 'data.txt': `not inlined ${name}`, 'b.css': `b{} /* ${name} */` };
    const failed = await clientDeploy(files, { name, teamId: TEAM });
    expect([failed.last.type, failed.last.payload.message]).toEqual(['error', message]);
    expect((await cloudStats(cloud.url)).faultsFired['rule-1']).toBe(1);

    const before = await cloudStats(cloud.url);
    const again = await clientDeploy(files, { name, teamId: TEAM });
    expect(again.last.type).toBe('alias-assigned');
    const uploads = requestCount(await cloudStats(cloud.url), 'vercel POST /vercel/v2/files') - requestCount(before, 'vercel POST /vercel/v2/files');
    expect(uploads).toBeGreaterThan(0);
    expect(uploads).toBeLessThanOrEqual(Object.keys(files).length);
    await expectServed(production(again.last.payload.alias), files);
  });
});

describe('persistence', () => {
  it('projects, deployments and files survive a restart', async () => {
    const persistDir = mkdtempSync(path.join(tmpdir(), 'huskit-cloud-'));
    const first = await startCloud(testConfig({ persistDir }));
    const res = await fetch(`${first.url}/vercel/v13/deployments?teamId=${TEAM}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LOCAL_VERCEL.platformToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept', files: [{ file: 'index.html', data: Buffer.from('kept bytes').toString('base64'), encoding: 'base64' }] }),
    });
    // No target: the first deployment of a project still goes to production and takes the alias.
    const d = (await res.json()) as { id: string };
    // Ready on the first cloud's clock (moved, not waited for), and seen so before the restart.
    await moveCloudClock(first.url, { advanceMs: 3 * 50 });
    const before = await fetch(`${first.url}/vercel/v13/deployments/${d.id}?teamId=${TEAM}`, {
      headers: { authorization: `Bearer ${LOCAL_VERCEL.platformToken}` },
    });
    expect(((await before.json()) as { readyState: string }).readyState).toBe('READY');
    await first.close();
    const second = await startCloud(testConfig({ persistDir }));
    try {
      // A new process starts on the real clock: as much time passes for it as for the first.
      await moveCloudClock(second.url, { advanceMs: 3 * 50 });
      const got = await fetch(`${second.url}/vercel/v13/deployments/${d.id}?teamId=${TEAM}`, {
        headers: { authorization: `Bearer ${LOCAL_VERCEL.platformToken}` },
      });
      const json = (await got.json()) as { readyState: string; alias: string[] };
      expect(json.readyState).toBe('READY');
      const site = await fetchSite(second.url, production(json.alias), '/');
      expect(site.body.toString()).toBe('kept bytes');
      expect((await cloudStats(second.url)).blobs['vercel.files']).toBe(1);
    } finally {
      await second.close();
      rmSync(persistDir, { recursive: true, force: true });
    }
  });
});
