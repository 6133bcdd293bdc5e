// The GitHub Pages adapter against the local cloud's GitHub twin, driven directly with a small
// DeployContext: a first deploy into a new repository, redeploys that upload only what changed,
// resumed attempts, a name taken by someone else's repository, verification, refusals, removal and
// faults — always checking what the site then serves.
import { useLocalCloud } from '@/testing/local-cloud';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_GITHUB } from '@/lib/platforms/github/local';
import { cloudStats, fetchSite, hostOf, moveCloudClock, setFaults, type CloudStats } from '@/testing/cloud';
import { memoryDeployContext } from '@/testing/deploy-context';
import type { AdapterSettings, DeployOutcome } from '../adapter';
import { DEFAULT_RETRY, PlatformError } from '../http';
import { githubAdapter, type GithubCredentials } from './adapter';
import { GithubClient } from './client';
import { GITHUB_BUILD_POLLING } from './publish';
import { githubSettings } from './settings';

const cloud = useLocalCloud((config) => {
  config.github.buildStepMs = 20;
});
/** Short retries and polls, handed to every call as a deployment's settings would be. */
const settings: AdapterSettings = {
  retries: { ...DEFAULT_RETRY, baseDelayMs: 5, maxDelayMs: 20, attempts: 6 },
  polling: { ...GITHUB_BUILD_POLLING, intervalMs: 15 },
};

afterEach(() => setFaults(cloud().url, { rules: [] }));

const USER: GithubCredentials = { token: LOCAL_GITHUB.adminToken };
const LOGIN = LOCAL_GITHUB.login;

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082',
  'hex',
);

type Files = Record<string, string | Buffer>;

function siteFiles(tag: string): Files {
  return {
    'index.html': `<!doctype html><link rel="stylesheet" href="assets/css/site.css"><h1>${tag}</h1>`,
    'about/index.html': `<h1>About ${tag}</h1><a href="/">home</a>`,
    'assets/css/site.css': `body { font-family: Brand; } /* ${tag} */`,
    'assets/img/logo.png': PNG,
    'assets/fonts/brand.woff2': Buffer.concat([Buffer.from('wOF2'), randomBytes(3000)]),
    // Streams in several pieces whose sizes are not multiples of 3: its base64 is made across them.
    'assets/video/intro.bin': randomBytes(50_001),
    '_next/static/chunk.js': `window.tag = ${JSON.stringify(tag)};`,
    'docs/guide/deep/er/page.json': JSON.stringify({ tag }),
    'café/my ménu.txt': `crème brûlée — ${tag}`,
    '404.html': `<h1>Not here (${tag})</h1>`,
  };
}

const ROUTE = (method: string, path: string) => `github ${method} /github${path}`;
const CREATE_REPO = ROUTE('POST', '/user/repos');
const BLOBS = ROUTE('POST', '/repos/:owner/:repo/git/blobs');
const COMMITS = ROUTE('POST', '/repos/:owner/:repo/git/commits');
const ENABLE_PAGES = ROUTE('POST', '/repos/:owner/:repo/pages');
const count = (after: CloudStats, before: CloudStats, route: string, status?: number) => {
  const n = (s: CloudStats) =>
    Object.entries(s.requests[route] ?? {}).reduce((sum, [st, c]) => sum + (status === undefined || Number(st) === status ? c : 0), 0);
  return n(after) - n(before);
};
const created = (after: CloudStats, before: CloudStats, what: string) => (after.blobs[`github.${what}`] ?? 0) - (before.blobs[`github.${what}`] ?? 0);

/** GET a path of the site (relative to its URL, which ends in `/{repo}/`). */
const get = (outcome: DeployOutcome, path = '') => fetchSite(cloud().url, hostOf(outcome.url), `${new URL(outcome.url).pathname}${path}`);

/** Every file of the site, byte for byte; the site's root is index.html. */
async function expectServed(outcome: DeployOutcome, files: Files) {
  for (const [path, content] of Object.entries(files)) {
    const res = await get(outcome, encodeURI(path));
    expect(res.status, path).toBe(200);
    expect(res.body.equals(Buffer.isBuffer(content) ? content : Buffer.from(content)), path).toBe(true);
  }
  expect((await get(outcome)).body.toString()).toBe(String(files['index.html']));
}

async function api(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${cloud().url}/github${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : null };
}

const repoOf = (outcome: DeployOutcome) => outcome.target.externalProjectId;

describe('deploying to GitHub Pages', () => {
  it('creates the repository, commits every file to gh-pages and serves every byte under /{repo}/, with 404.html and _-prefixed files', async () => {
    const files: Files = { ...siteFiles('first'), _redirects: '/old /new 301\n/blog/* https://blog.example.com/:splat 302\n' };
    const h = memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files, siteName: 'My Portfolio!' });
    const before = await cloudStats(cloud().url);
    const outcome = await githubAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);

    const name = `my-portfolio-${h.ctx.siteId.replace(/-/g, '').slice(0, 6)}`;
    expect(outcome).toEqual({
      url: `http://${LOGIN}.github.localhost:${cloud().port}/${name}/`,
      target: { externalProjectId: `${LOGIN}/${name}`, externalId: 'gh-pages' },
    });
    expect(h.checkpoint).toMatchObject({
      repo: `${LOGIN}/${name}`,
      createdRepo: true,
      commitSha: expect.stringMatching(/^[0-9a-f]{40}$/),
      pagesUrl: outcome.url,
    });
    await expectServed(outcome, files);
    const missing = await get(outcome, 'no/such/page');
    expect([missing.status, missing.body.toString()]).toEqual([404, files['404.html']]);
    expect((await get(outcome, '.nojekyll')).status).toBe(200);

    // One repository, public, with our marker; every file a blob (plus .nojekyll); one commit on gh-pages.
    expect(count(after, before, CREATE_REPO, 201)).toBe(1);
    const repo = (await api(USER.token, 'GET', `/repos/${repoOf(outcome)}`)).body;
    expect(repo).toMatchObject({ private: false, description: `Website published with Huskit Sites (site ${h.ctx.siteId.replace(/-/g, '').slice(0, 12)})` });
    expect(count(after, before, BLOBS, 201)).toBe(Object.keys(files).length + 1);
    expect(count(after, before, COMMITS, 201)).toBe(1);
    const ref = (await api(USER.token, 'GET', `/repos/${repoOf(outcome)}/git/ref/heads/gh-pages`)).body;
    expect(ref.object.sha).toBe(h.checkpoint.commitSha);

    const steps = h.events.map((e) => e.step);
    expect([...new Set(steps)]).toEqual(['repo', 'upload', 'commit', 'pages', 'build']);
    const progress = h.events.map((e) => e.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const log = h.events.map((e) => e.message);
    expect(log).toContain(
      '_redirects: GitHub Pages does not read it, so its 2 rules were skipped (the file is published as a plain file). Link to the final addresses instead.',
    );
    expect(log).toContain('404.html: GitHub Pages serves it, with status 404, for every address that has no file.');
    expect(log.find((m) => m.includes('addresses starting with "/"'))).toMatch(new RegExp(`^1 page links to .* under /${name}/\\. .*: about/index\\.html\\.$`));
  });

  it('a redeploy with one changed file creates exactly one blob and one commit, in the same repository and URL', async () => {
    const siteId = randomUUID();
    const files = siteFiles('redeploy');
    const first = await githubAdapter.deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files, siteId }).ctx);
    const changed = { ...files, 'assets/css/site.css': 'body { color: rebeccapurple; }' };
    const before = await cloudStats(cloud().url);
    const h = memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files: changed, siteId, target: first.target });
    const second = await githubAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);
    expect(second).toEqual(first);
    expect(h.checkpoint.createdRepo).toBe(false);
    expect([count(after, before, BLOBS), created(after, before, 'blobsCreated'), count(after, before, COMMITS), count(after, before, CREATE_REPO)]).toEqual([
      1, 1, 1, 0,
    ]);
    await expectServed(second, changed);

    // The same files again: nothing uploaded and nothing committed.
    const again = memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files: changed, siteId, target: first.target });
    const mid = await cloudStats(cloud().url);
    await githubAdapter.deploy(again.ctx);
    const end = await cloudStats(cloud().url);
    expect([count(end, mid, BLOBS), count(end, mid, COMMITS)]).toEqual([0, 0]);
    expect(again.events.map((e) => e.message)).toContain('Nothing changed since the last deployment: gh-pages already holds these files');
  });

  it('waits for the Pages build of its own commit, as the cloud clock moves', async () => {
    cloud().config.github.buildStepMs = 10 * 60_000;
    try {
      const reached: Record<number, () => void> = {};
      const at = (progress: number) => new Promise<string>((resolve) => (reached[progress] = () => resolve(`build ${progress}`)));
      const queued = at(91);
      const building = at(94);
      const h = memoryDeployContext({
        settings,
        mode: 'user-token',
        credentials: USER,
        files: siteFiles('slow'),
        onReport: (step, progress) => {
          if (step === 'build') reached[progress]?.();
        },
      });
      const deploying = githubAdapter.deploy(h.ctx);
      const finished = deploying.then(() => 'finished');
      // The build of our commit is queued, then building, then built: one step of the clock each.
      expect(await Promise.race([queued, finished])).toBe('build 91');
      await moveCloudClock(cloud().url, { advanceMs: 10 * 60_000 });
      expect(await Promise.race([building, finished])).toBe('build 94');
      await moveCloudClock(cloud().url, { advanceMs: 10 * 60_000 });
      const outcome = await deploying;
      expect(h.events.filter((e) => e.step === 'build').map((e) => e.message.replace(/[0-9a-f]{7}/, 'C'))).toEqual([
        'GitHub Pages build of C: queued',
        'GitHub Pages build of C: building',
        'GitHub Pages published commit C',
      ]);
      expect((await get(outcome)).status).toBe(200);
    } finally {
      cloud().config.github.buildStepMs = 20;
    }
  });

  it('resumes from the checkpoint after a crash: no second repository, commit or upload', async () => {
    const siteId = randomUUID();
    const files = siteFiles('resume');
    const crash = new Error('the process died while waiting for the build');
    const first = memoryDeployContext({
      settings,
      mode: 'user-token',
      credentials: USER,
      files,
      siteId,
      onReport: (step) => {
        if (step === 'build') throw crash;
      },
    });
    await expect(githubAdapter.deploy(first.ctx)).rejects.toBe(crash);
    expect(first.checkpoint).toMatchObject({ repo: expect.any(String), commitSha: expect.any(String), pagesUrl: expect.any(String) });

    const before = await cloudStats(cloud().url);
    const h = memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files, siteId, checkpoint: first.checkpoint });
    const outcome = await githubAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);
    expect([count(after, before, CREATE_REPO), count(after, before, COMMITS), count(after, before, BLOBS), count(after, before, ENABLE_PAGES)]).toEqual([
      0, 0, 0, 0,
    ]);
    expect(created(after, before, 'repos')).toBe(0);
    // The branch already holds the commit: its files are not even listed again.
    expect(count(after, before, ROUTE('GET', '/repos/:owner/:repo/git/trees/:sha'))).toBe(0);
    expect(h.events.map((e) => e.message)).toContain(
      `The gh-pages branch already holds this deployment (commit ${String(first.checkpoint.commitSha).slice(0, 7)})`,
    );
    expect(repoOf(outcome)).toBe(first.checkpoint.repo);
    await expectServed(outcome, files);
  });

  it('a crash in the middle of the upload resumes with the files not yet sent', async () => {
    const files: Files = { 'index.html': `<h1>${randomUUID()}</h1>` };
    for (let i = 0; i < 59; i++) files[`pages/p${i}.html`] = `<p>${i} ${randomUUID()}</p>`;
    const crash = new Error('the process died after the first batch');
    const first = memoryDeployContext({
      settings,
      mode: 'user-token',
      credentials: USER,
      files,
      onReport: (step, progress) => {
        if (step === 'upload' && progress > 10) throw crash;
      },
    });
    await expect(githubAdapter.deploy(first.ctx)).rejects.toBe(crash);
    expect(first.checkpoint.uploadedBlobs).toHaveLength(50);

    const before = await cloudStats(cloud().url);
    const h = memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files, siteId: first.ctx.siteId, checkpoint: first.checkpoint });
    const outcome = await githubAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);
    // 60 files and .nojekyll, 50 of them sent before the crash.
    expect([count(after, before, BLOBS), count(after, before, CREATE_REPO)]).toEqual([11, 0]);
    expect((await get(outcome, 'pages/p58.html')).body.toString()).toBe(files['pages/p58.html']);
  });

  it('a repository whose creation answer was lost is found by its marker, not created twice', async () => {
    await setFaults(cloud().url, { rules: [{ target: 'github', method: 'POST', route: '/user/repos', kind: 'drop-after', count: 1 }] });
    const files = siteFiles('lost');
    const h = memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files });
    const before = await cloudStats(cloud().url);
    const outcome = await githubAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);
    expect(after.faultsFired).toEqual({ 'rule-1': 1 });
    expect([count(after, before, CREATE_REPO), created(after, before, 'repos')]).toEqual([1, 1]);
    await expectServed(outcome, files);
  });

  it("picks another suffix when the name is taken by a repository that is not this site's, and leaves that one alone", async () => {
    const siteId = randomUUID();
    const taken = `team-blog-${siteId.replace(/-/g, '').slice(0, 6)}`;
    const foreign = await api(USER.token, 'POST', '/user/repos', { name: taken, description: 'My own blog', auto_init: true });
    expect(foreign.status).toBe(201);

    const files = siteFiles('taken');
    const outcome = await githubAdapter.deploy(
      memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files, siteId, siteName: 'Team Blog' }).ctx,
    );
    expect(repoOf(outcome)).toMatch(new RegExp(`^${LOGIN}/${taken}-[0-9a-f]{6}$`));
    expect((await api(USER.token, 'GET', `/repos/${LOGIN}/${taken}`)).body.description).toBe('My own blog');
    expect((await api(USER.token, 'GET', `/repos/${LOGIN}/${taken}/pages`)).status).toBe(404);
    expect((await api(USER.token, 'GET', `/repos/${LOGIN}/${taken}/git/ref/heads/gh-pages`)).status).toBe(404);
    await expectServed(outcome, files);
  });
});

describe('the connection', () => {
  it('verify answers the login and name, never the token; a bad token is an auth error a person can act on', async () => {
    const facts = await githubAdapter.verify(USER, settings);
    expect(facts).toEqual({ login: LOGIN, name: LOCAL_GITHUB.name });
    expect(JSON.stringify(facts)).not.toContain(USER.token);

    const err = await githubAdapter.verify({ token: 'github_pat_not_a_real_token' }, settings).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).kind).toBe('auth');
    expect((err as PlatformError).message).toMatch(/^GitHub refused the access token: .* Create a new fine-grained personal access token/);
    expect(() => githubAdapter.parseCredentials({ token: '  ' })).toThrow(PlatformError);
    expect(githubAdapter.platformCredentials()).toBeNull();
  });

  it('a token without the Pages permission fails with a message naming it; one without Administration cannot create the repository', async () => {
    const token = `github_pat_11HUSKITDEV0NOPAGES_${randomBytes(30).toString('hex')}`;
    cloud().config.github.tokens.push({ value: token, name: 'no pages', login: LOGIN, permissions: { contents: 'write', administration: 'write' } });
    const err = await githubAdapter
      .deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: { token }, files: siteFiles('no-pages') }).ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).kind).toBe('auth');
    expect((err as PlatformError).message).toBe(
      'Your GitHub token may not turn on Pages: it needs the repository permissions Pages (write) and Administration (write). Edit the token on GitHub (Settings → Developer settings → Fine-grained tokens), give it that permission for all repositories, then deploy again.',
    );

    const noAdmin = await githubAdapter
      .deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: { token: LOCAL_GITHUB.deployToken }, files: siteFiles('no-admin') }).ctx)
      .catch((e: unknown) => e);
    expect((noAdmin as PlatformError).kind).toBe('auth');
    expect((noAdmin as PlatformError).message).toMatch(
      /^Your GitHub token may not create the repository: it needs the repository permissions Administration \(write\)\./,
    );
  });
});

describe('removal and the rest', () => {
  it('remove turns Pages off and leaves the repository and its history; again is fine', async () => {
    const outcome = await githubAdapter.deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files: siteFiles('rm') }).ctx);
    expect((await get(outcome)).status).toBe(200);
    await githubAdapter.remove(USER, outcome.target, 'user-token', settings);
    expect((await api(USER.token, 'GET', `/repos/${repoOf(outcome)}/pages`)).status).toBe(404);
    expect((await get(outcome)).status).toBe(404);
    expect((await api(USER.token, 'GET', `/repos/${repoOf(outcome)}`)).status).toBe(200);
    expect((await api(USER.token, 'GET', `/repos/${repoOf(outcome)}/git/ref/heads/gh-pages`)).status).toBe(200);
    await githubAdapter.remove(USER, outcome.target, 'user-token', settings);
    expect(await githubAdapter.listManagedResources(USER, settings)).toEqual([]);
    await githubAdapter.abandon(USER, {}, settings);
  });

  it('refuses files over 100 MB and paths through a .git folder before anything is sent', () => {
    expect(githubAdapter.refuseFile!('video.mp4', 101 * 1024 * 1024)).toMatch(/GitHub refuses files over 100 MB/);
    expect(githubAdapter.refuseFile!('a/.git/config', 10)).toMatch(/no folder may be named \.git/);
    expect(githubAdapter.refuseFile!('a/b.html', 100 * 1024 * 1024)).toBeUndefined();
  });
});

describe('faults', () => {
  it('uploads, commits and polls go through 5xx, dropped connections and secondary rate limits (429 and 403 with Retry-After)', async () => {
    await setFaults(cloud().url, {
      rules: [
        { target: 'github', route: '/git/blobs', kind: 'status', status: 502, count: 3 },
        { target: 'github', route: '/pages/builds/latest', method: 'GET', kind: 'drop', count: 1 },
        { target: 'github', route: '/git/commits', method: 'POST', kind: 'status', status: 429, retryAfter: 0, count: 1 },
        { target: 'github', route: '/git/trees', method: 'POST', kind: 'status', status: 403, retryAfter: 0, count: 1 },
      ],
    });
    const files = siteFiles('faults');
    const before = await cloudStats(cloud().url);
    const outcome = await githubAdapter.deploy(memoryDeployContext({ settings, mode: 'user-token', credentials: USER, files }).ctx);
    const after = await cloudStats(cloud().url);
    expect(after.faultsFired).toEqual({ 'rule-1': 3, 'rule-2': 1, 'rule-3': 1, 'rule-4': 1 });
    expect([count(after, before, BLOBS, 502), count(after, before, COMMITS, 201)]).toEqual([3, 1]);
    await expectServed(outcome, files);
  });

  it('an exhausted hourly limit (403, x-ratelimit-remaining: 0) is waited out until x-ratelimit-reset, or refused when that is too far', async () => {
    // Another user's window, so that the limit touches nothing else.
    const other: GithubCredentials = { token: LOCAL_GITHUB.otherToken };
    const used = Number((await api(other.token, 'GET', '/user')).headers.get('x-ratelimit-used'));
    cloud().config.github.requestsPerHour = used;
    try {
      const limited = await api(other.token, 'GET', '/user');
      expect([limited.status, limited.headers.get('x-ratelimit-remaining')]).toEqual([403, '0']);
      const minutes = (Number(limited.headers.get('x-ratelimit-reset')) * 1000 - Date.now()) / 60_000;
      // The product waits at most a minute: a reset that far away is a quota error saying when to try again.
      const err = await githubAdapter.verify(other, settings).catch((e: unknown) => e);
      expect(err).toMatchObject({
        kind: 'quota',
        message: expect.stringMatching(/^GitHub \(verify the token\) has reached a limit of the account: try again in \d+ minutes\.$/),
      });
      const said = Number(/in (\d+) minutes/.exec((err as Error).message)![1]);
      expect(Math.abs(said - minutes)).toBeLessThanOrEqual(1);

      // With a longer wait allowed, the client waits for the reset (the cloud clock moves instead of sleeping).
      const waits: number[] = [];
      const gh = new GithubClient(githubSettings().apiUrl, other, {
        policy: { ...settings.retries, maxRetryAfterMs: 2 * 3600_000 },
        sleep: async (ms) => {
          waits.push(ms);
          await moveCloudClock(cloud().url, { advanceMs: ms + 1000 });
        },
      });
      expect(await gh.currentUser()).toMatchObject({ login: LOCAL_GITHUB.otherLogin });
      expect(waits).toHaveLength(1);
      expect(waits[0]).toBeGreaterThan(55 * 60_000);
    } finally {
      cloud().config.github.requestsPerHour = 1_000_000;
    }
  });
});
