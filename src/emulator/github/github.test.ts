// The local cloud's GitHub surface, driven by the official `@octokit/rest` client (unchanged apart
// from its baseUrl) through a whole Pages deploy with the Git Data API, then read back the way a
// visitor would: the bytes at the site's html_url. Time moves with the cloud's clock, never by waiting.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { describe, expect, it } from 'vitest';
import { cloudStats, fetchSite, hostOf, moveCloudClock } from '@/testing/cloud';
import { useLocalCloud } from '@/testing/local-cloud';
import { defaultCloudConfig } from '../config';
import { startCloud } from '../server';
import { LOCAL_GITHUB } from '@/lib/platforms/github/local';

const STEP = 1000;
const cloud = useLocalCloud((config) => {
  config.github.buildStepMs = STEP;
});

const owner = LOCAL_GITHUB.login;
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const client = (token: string, url = cloud().url) => new Octokit({ baseUrl: `${url}/github`, auth: token, log: quiet });
const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const gitBlobSha = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

interface HttpFailure {
  status: number;
  response: { data: { message: string; documentation_url: string; status: string; errors?: { message?: string }[] }; headers: Record<string, string> };
}
/** The refusal a call ends in (fails the test when it succeeds). */
async function refusal(call: Promise<unknown>): Promise<HttpFailure> {
  const outcome = await call.then(
    () => undefined,
    (err: unknown) => err as HttpFailure,
  );
  if (!outcome) throw new Error('the call succeeded');
  return outcome;
}

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108020000009077' + '53de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082',
  'hex',
);

function site(tag: string): Record<string, Buffer> {
  return {
    'index.html': Buffer.from(`<!doctype html><h1>Home ${tag}</h1>`),
    '404.html': Buffer.from(`<h1>Lost ${tag}</h1>`),
    'about.html': Buffer.from(`<h1>About ${tag}</h1>`),
    'docs/index.html': Buffer.from(`<h1>Docs ${tag}</h1>`),
    'css/site.css': Buffer.from(`body{color:red} /* ${tag} */`),
    'img/logo.png': PNG,
    '_app/chunk.js': Buffer.from(`console.log(${JSON.stringify(tag)})`),
    _redirects: Buffer.from('/old /about 301\n'),
  };
}

/** Uploads blobs, writes a tree (on top of `base`) and a commit: what a deploy with the Git Data API does. */
async function commitFiles(gh: Octokit, repo: string, files: Record<string, Buffer>, parent?: { commit: string; tree: string }) {
  const entries = [];
  for (const [p, bytes] of Object.entries(files)) {
    const { data } = await gh.git.createBlob({ owner, repo, content: bytes.toString('base64'), encoding: 'base64' });
    expect(data.sha, p).toBe(gitBlobSha(bytes));
    entries.push({ path: p, mode: '100644' as const, type: 'blob' as const, sha: data.sha });
  }
  const { data: tree } = await gh.git.createTree({ owner, repo, tree: entries, ...(parent ? { base_tree: parent.tree } : {}) });
  const { data: commit } = await gh.git.createCommit({ owner, repo, message: 'Deploy', tree: tree.sha, parents: parent ? [parent.commit] : [] });
  return { tree: tree.sha, commit: commit.sha };
}

async function buildStatus(gh: Octokit, repo: string) {
  return (await gh.repos.getLatestPagesBuild({ owner, repo })).data.status;
}

describe('deploying a Pages site with the official client', () => {
  it('creates the repository, pushes blobs/tree/commit to gh-pages, enables Pages, builds on the clock, and serves it', async () => {
    const gh = client(LOCAL_GITHUB.adminToken);
    const name = uniqueName('emu-pages');
    const { data: repo } = await gh.repos.createForAuthenticatedUser({ name, auto_init: true, description: 'A Huskit site' });
    expect(repo).toMatchObject({ name, full_name: `${owner}/${name}`, private: false, default_branch: 'main', owner: { login: owner } });
    expect((await gh.git.getRef({ owner, repo: name, ref: 'heads/main' })).data.ref).toBe('refs/heads/main');

    const files = site('one');
    const first = await commitFiles(gh, name, files);
    const { data: ref } = await gh.git.createRef({ owner, repo: name, ref: 'refs/heads/gh-pages', sha: first.commit });
    expect(ref.object).toMatchObject({ sha: first.commit, type: 'commit' });
    expect((await gh.git.getRef({ owner, repo: name, ref: 'heads/gh-pages' })).data.object.sha).toBe(first.commit);
    const { data: listed } = await gh.git.getTree({ owner, repo: name, tree_sha: first.tree, recursive: '1' });
    expect(listed.tree.filter((e) => e.type === 'blob').map((e) => e.path)).toEqual(expect.arrayContaining(Object.keys(files)));
    expect(listed.tree.find((e) => e.path === 'img/logo.png')).toMatchObject({ mode: '100644', size: PNG.length, sha: gitBlobSha(PNG) });

    const { data: page } = await gh.repos.createPagesSite({ owner, repo: name, source: { branch: 'gh-pages', path: '/' } });
    const port = cloud().port;
    expect(page).toMatchObject({
      html_url: `http://${owner}.github.localhost:${port}/${name}/`,
      source: { branch: 'gh-pages', path: '/' },
      build_type: 'legacy',
    });
    const host = hostOf(page.html_url!);
    const get = (p: string) => fetchSite(cloud().url, host, `/${name}${p}`);

    // queued → building → built, one step each on the cloud's clock; nothing is served before.
    expect(await buildStatus(gh, name)).toBe('queued');
    expect((await get('/')).status).toBe(404);
    await moveCloudClock(cloud().url, { advanceMs: STEP });
    expect(await buildStatus(gh, name)).toBe('building');
    await moveCloudClock(cloud().url, { advanceMs: STEP });
    const { data: built } = await gh.repos.getLatestPagesBuild({ owner, repo: name });
    expect(built).toMatchObject({ status: 'built', commit: first.commit, pusher: { login: owner }, error: { message: null } });
    expect((await gh.repos.getPagesBuild({ owner, repo: name, build_id: Number(built.url.split('/').pop()) })).data.status).toBe('built');
    expect((await gh.repos.getPages({ owner, repo: name })).data).toMatchObject({ status: 'built', custom_404: true });

    const home = await get('/');
    expect([home.status, home.body.equals(files['index.html']!), home.headers['content-type']]).toEqual([200, true, 'text/html; charset=utf-8']);
    const css = await get('/css/site.css');
    expect([css.body.equals(files['css/site.css']!), css.headers['content-type']]).toEqual([true, 'text/css; charset=utf-8']);
    expect([(await get('/img/logo.png')).body.equals(PNG), (await get('/img/logo.png')).headers['content-type']]).toEqual([true, 'image/png']);
    expect((await get('/about')).body.equals(files['about.html']!)).toBe(true);
    expect((await get('/docs/')).body.equals(files['docs/index.html']!)).toBe(true);
    const bare = await get('/docs');
    expect([bare.status, bare.headers.location]).toEqual([301, `http://${host}:${port}/${name}/docs/`]);
    const root = await fetchSite(cloud().url, host, `/${name}`);
    expect([root.status, root.headers.location]).toEqual([301, `http://${host}:${port}/${name}/`]);
    const missing = await get('/nowhere');
    expect([missing.status, missing.body.equals(files['404.html']!)]).toEqual([404, true]);
    // Jekyll (no .nojekyll) leaves `_` files out; `_redirects` is no rule for GitHub Pages.
    expect((await get('/_app/chunk.js')).status).toBe(404);
    expect((await get('/old')).status).toBe(404);

    // Redeploy: only the changed blobs are uploaded; the push to gh-pages builds the site again.
    const before = (await cloudStats(cloud().url)).blobs;
    const changes = { '.nojekyll': Buffer.alloc(0), 'css/site.css': Buffer.from('body{color:blue}') };
    const second = await commitFiles(gh, name, changes, first);
    const after = (await cloudStats(cloud().url)).blobs;
    expect(after['github.blobsUploaded']! - before['github.blobsUploaded']!).toBe(2);
    expect(after['github.blobsCreated']! - before['github.blobsCreated']!).toBe(2);
    expect(after['github.blobBytesCreated']! - before['github.blobBytesCreated']!).toBe('body{color:blue}'.length);
    // Bytes the repository already holds are an upload, not a new blob.
    await gh.git.createBlob({ owner, repo: name, content: files['index.html']!.toString('base64'), encoding: 'base64' });
    const again = (await cloudStats(cloud().url)).blobs;
    expect([again['github.blobsUploaded']! - after['github.blobsUploaded']!, again['github.blobsCreated']! - after['github.blobsCreated']!]).toEqual([1, 0]);
    await gh.git.updateRef({ owner, repo: name, ref: 'heads/gh-pages', sha: second.commit });
    expect(await buildStatus(gh, name)).toBe('queued');
    expect((await get('/css/site.css')).body.equals(files['css/site.css']!)).toBe(true); // the old build still serves
    await moveCloudClock(cloud().url, { advanceMs: 2 * STEP });
    expect((await gh.repos.getLatestPagesBuild({ owner, repo: name })).data).toMatchObject({ status: 'built', commit: second.commit });
    expect((await get('/css/site.css')).body.toString()).toBe('body{color:blue}');
    const chunk = await get('/_app/chunk.js');
    expect([chunk.status, chunk.body.equals(files['_app/chunk.js']!)]).toEqual([200, true]);
    expect((await get('/index.html')).body.equals(files['index.html']!)).toBe(true);
  });

  it('answers git object ids that git itself computes (blob, nested sorted tree, commit)', async () => {
    const gh = client(LOCAL_GITHUB.adminToken);
    const name = uniqueName('emu-sha');
    await gh.repos.createForAuthenticatedUser({ name, auto_init: true });
    // The same tree and commit written by git 2.x (`git write-tree`, `git commit-tree -m Deploy`).
    const { data: tree } = await gh.git.createTree({
      owner,
      repo: name,
      tree: [
        { path: 'a/b/x.txt', mode: '100644', type: 'blob', content: 'hello\n' },
        { path: 'a.txt', mode: '100644', type: 'blob', content: 'top' },
        { path: 'a-b', mode: '100644', type: 'blob', content: 'z' },
      ],
    });
    expect(tree.sha).toBe('cd508a13b8d47c2102bf46db22473c53288fb433');
    expect(tree.tree.map((e) => e.path)).toEqual(['a-b', 'a.txt', 'a']);
    const who = { name: 'Huskit Dev', email: '90000001+huskit-dev@users.noreply.github.com', date: '2026-01-01T00:00:00Z' };
    const { data: commit } = await gh.git.createCommit({ owner, repo: name, message: 'Deploy\n', tree: tree.sha, author: who, committer: who });
    expect(commit.sha).toBe('b547e3e00784da51f20e76beeba4bb904c16498a');
    expect((await gh.git.getCommit({ owner, repo: name, commit_sha: commit.sha })).data).toMatchObject({ tree: { sha: tree.sha }, author: who });
  });
});

describe('strict as GitHub', () => {
  it('an unknown token is 401 "Bad credentials"; Bearer and token schemes both work; rate-limit headers on every answer', async () => {
    const bad = await refusal(client('github_pat_11NOTATOKEN0000000000_' + 'x'.repeat(59)).users.getAuthenticated());
    expect(bad.status).toBe(401);
    expect(bad.response.data).toEqual({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    const { data: me, headers } = await client(LOCAL_GITHUB.adminToken).users.getAuthenticated();
    expect(me).toMatchObject({ login: owner, id: LOCAL_GITHUB.userId, name: LOCAL_GITHUB.name });
    expect(headers['x-ratelimit-resource']).toBe('core');
    expect(Number(headers['x-ratelimit-remaining'])).toBe(Number(headers['x-ratelimit-limit']) - Number(headers['x-ratelimit-used']));
    const bearer = await fetch(`${cloud().url}/github/user`, { headers: { authorization: `Bearer ${LOCAL_GITHUB.readOnlyToken}` } });
    expect([bearer.status, ((await bearer.json()) as { login: string }).login]).toEqual([200, owner]);
    const anonymous = await fetch(`${cloud().url}/github/user`);
    expect([anonymous.status, ((await anonymous.json()) as { message: string }).message]).toEqual([401, 'Requires authentication']);
  });

  it('a missing fine-grained permission is 403 with X-Accepted-GitHub-Permissions (creating a repo and enabling Pages need Administration)', async () => {
    const admin = client(LOCAL_GITHUB.adminToken);
    const name = uniqueName('emu-perm');
    await admin.repos.createForAuthenticatedUser({ name, auto_init: true });
    const readOnly = await refusal(client(LOCAL_GITHUB.readOnlyToken).git.createBlob({ owner, repo: name, content: 'x' }));
    expect([readOnly.status, readOnly.response.data.message]).toEqual([403, 'Resource not accessible by personal access token']);
    expect(readOnly.response.headers['x-accepted-github-permissions']).toBe('contents=write');
    expect(readOnly.response.data.documentation_url).toBe('https://docs.github.com/rest/git/blobs#create-a-blob');

    const deploy = client(LOCAL_GITHUB.deployToken);
    const noRepo = await refusal(deploy.repos.createForAuthenticatedUser({ name: uniqueName('emu-nope') }));
    expect([noRepo.status, noRepo.response.headers['x-accepted-github-permissions']]).toEqual([403, 'administration=write']);
    const noPages = await refusal(deploy.repos.createPagesSite({ owner, repo: name, source: { branch: 'main' } }));
    expect([noPages.status, noPages.response.headers['x-accepted-github-permissions']]).toEqual([403, 'pages=write,administration=write']);
    // What the deploy token may do: push.
    expect((await deploy.git.createBlob({ owner, repo: name, content: 'pushed' })).data.sha).toBe(gitBlobSha(Buffer.from('pushed')));
  });

  it('another user: a private repository is 404, a public one is readable but not writable', async () => {
    const other = client(LOCAL_GITHUB.otherToken);
    const priv = uniqueName('emu-private');
    const pub = uniqueName('emu-public');
    await other.repos.createForAuthenticatedUser({ name: priv, private: true, auto_init: true });
    await other.repos.createForAuthenticatedUser({ name: pub, auto_init: true });
    const me = client(LOCAL_GITHUB.adminToken);
    const other404 = await refusal(me.repos.get({ owner: LOCAL_GITHUB.otherLogin, repo: priv }));
    expect([other404.status, other404.response.data.message]).toEqual([404, 'Not Found']);
    expect((await me.repos.get({ owner: LOCAL_GITHUB.otherLogin, repo: pub })).data.permissions).toMatchObject({ admin: false, pull: true });
    expect((await refusal(me.git.createBlob({ owner: LOCAL_GITHUB.otherLogin, repo: pub, content: 'x' }))).status).toBe(403);
    // GitHub Free publishes no Pages site from a private repository.
    const plan = await refusal(other.repos.createPagesSite({ owner: LOCAL_GITHUB.otherLogin, repo: priv, source: { branch: 'main' } }));
    expect([plan.status, plan.response.data.message]).toEqual([422, 'Your current plan does not support GitHub Pages for this repository.']);
  });

  it('a repository name taken is 422 with the validation error; a blob in an empty repository is 409', async () => {
    const gh = client(LOCAL_GITHUB.adminToken);
    const name = uniqueName('emu-empty');
    const { data: created } = await gh.repos.createForAuthenticatedUser({ name });
    const taken = await refusal(gh.repos.createForAuthenticatedUser({ name: name.toUpperCase() }));
    expect(taken.status).toBe(422);
    expect(taken.response.data).toMatchObject({
      message: 'Repository creation failed.',
      errors: [{ resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' }],
      status: '422',
    });
    const empty = await refusal(gh.git.createBlob({ owner, repo: name, content: 'first' }));
    expect([empty.status, empty.response.data.message]).toEqual([409, 'Git Repository is empty.']);
    expect((await refusal(gh.git.getRef({ owner, repo: name, ref: 'heads/main' }))).status).toBe(409);
    await gh.repos.delete({ owner, repo: created.name });
    expect((await refusal(gh.repos.get({ owner, repo: name }))).status).toBe(404);
  });

  it('trees, commits and refs refuse what GitHub refuses: unknown blobs, unknown trees, non-fast-forward updates', async () => {
    const gh = client(LOCAL_GITHUB.adminToken);
    const name = uniqueName('emu-refs');
    await gh.repos.createForAuthenticatedUser({ name, auto_init: true });
    const main = (await gh.git.getRef({ owner, repo: name, ref: 'heads/main' })).data.object.sha;
    const unknown = gitBlobSha(Buffer.from('never uploaded'));
    const badTree = await refusal(gh.git.createTree({ owner, repo: name, tree: [{ path: 'a.txt', mode: '100644', type: 'blob', sha: unknown }] }));
    expect([badTree.status, badTree.response.data.message]).toEqual([422, `tree.sha ${unknown} is not a valid blob`]);
    const badBase = await refusal(
      gh.git.createTree({ owner, repo: name, base_tree: main, tree: [{ path: 'a.txt', mode: '100644', type: 'blob', content: 'a' }] }),
    );
    expect([badBase.status, badBase.response.data.message]).toEqual([422, 'base_tree is not a valid tree oid']);
    const badCommit = await refusal(gh.git.createCommit({ owner, repo: name, message: 'x', tree: unknown, parents: [main] }));
    expect([badCommit.status, badCommit.response.data.message]).toEqual([422, 'Tree SHA does not exist']);

    // A commit that does not descend from main: refused unless forced.
    const { data: tree } = await gh.git.createTree({ owner, repo: name, tree: [{ path: 'other.txt', mode: '100644', type: 'blob', content: 'other' }] });
    const { data: orphan } = await gh.git.createCommit({ owner, repo: name, message: 'orphan', tree: tree.sha, parents: [] });
    const nonFF = await refusal(gh.git.updateRef({ owner, repo: name, ref: 'heads/main', sha: orphan.sha }));
    expect([nonFF.status, nonFF.response.data.message]).toEqual([422, 'Update is not a fast forward']);
    expect((await gh.git.getRef({ owner, repo: name, ref: 'heads/main' })).data.object.sha).toBe(main);
    const { data: child } = await gh.git.createCommit({ owner, repo: name, message: 'child', tree: tree.sha, parents: [main] });
    expect((await gh.git.updateRef({ owner, repo: name, ref: 'heads/main', sha: child.sha })).data.object.sha).toBe(child.sha);
    expect((await gh.git.updateRef({ owner, repo: name, ref: 'heads/main', sha: orphan.sha, force: true })).data.object.sha).toBe(orphan.sha);

    // Ids that name properties of a plain object are no objects of the repository either.
    for (const sha of ['constructor', 'toString', '__proto__']) {
      expect((await refusal(gh.git.getCommit({ owner, repo: name, commit_sha: sha }))).status, sha).toBe(404);
      const badParent = await refusal(gh.git.createCommit({ owner, repo: name, message: 'x', tree: tree.sha, parents: [sha] }));
      expect([badParent.status, badParent.response.data.message], sha).toEqual([422, 'Parent SHA does not exist or is not a commit object']);
      const notTree = await refusal(gh.git.createCommit({ owner, repo: name, message: 'x', tree: sha, parents: [main] }));
      expect([notTree.status, notTree.response.data.message], sha).toEqual([422, 'Tree SHA does not exist']);
    }

    const exists = await refusal(gh.git.createRef({ owner, repo: name, ref: 'refs/heads/main', sha: child.sha }));
    expect([exists.status, exists.response.data.message]).toEqual([422, 'Reference already exists']);
    const noObject = await refusal(gh.git.createRef({ owner, repo: name, ref: 'refs/heads/x', sha: unknown }));
    expect([noObject.status, noObject.response.data.message]).toEqual([422, 'Object does not exist']);
    // Branch names with slashes: Octokit sends them percent-encoded; the raw form works too.
    await gh.git.createRef({ owner, repo: name, ref: 'refs/heads/feature/deep', sha: child.sha });
    expect((await gh.git.getRef({ owner, repo: name, ref: 'heads/feature/deep' })).data.object.sha).toBe(child.sha);
    const raw = await fetch(`${cloud().url}/github/repos/${owner}/${name}/git/ref/heads/feature/deep`, {
      headers: { authorization: `token ${LOCAL_GITHUB.adminToken}` },
    });
    expect(raw.status).toBe(200);
    await gh.git.deleteRef({ owner, repo: name, ref: 'heads/feature/deep' });
    expect((await refusal(gh.git.getRef({ owner, repo: name, ref: 'heads/feature/deep' }))).status).toBe(404);
    expect((await refusal(gh.git.deleteRef({ owner, repo: name, ref: 'heads/feature/deep' }))).status).toBe(422);
  });

  it('Pages: enabled twice is 409; deleted, it is 404 and no longer served; a missing source folder errors the build', async () => {
    const gh = client(LOCAL_GITHUB.adminToken);
    const name = uniqueName('emu-twice');
    await gh.repos.createForAuthenticatedUser({ name, auto_init: true });
    const noBranch = await refusal(gh.repos.createPagesSite({ owner, repo: name, source: { branch: 'gh-pages' } }));
    expect(noBranch.status).toBe(422);
    const { data: page } = await gh.repos.createPagesSite({ owner, repo: name, source: { branch: 'main', path: '/docs' } });
    const twice = await refusal(gh.repos.createPagesSite({ owner, repo: name, source: { branch: 'main' } }));
    expect([twice.status, twice.response.data.message]).toEqual([409, 'GitHub Pages is already enabled.']);
    await moveCloudClock(cloud().url, { advanceMs: 2 * STEP });
    const { data: failed } = await gh.repos.getLatestPagesBuild({ owner, repo: name });
    expect([failed.status, failed.error.message]).toEqual(['errored', 'The folder /docs does not exist in main.']);
    expect((await gh.repos.getPages({ owner, repo: name })).data.status).toBe('errored');

    // Back to the root: PUT changes the source and builds again; README.md is all there is (no index).
    await gh.repos.updateInformationAboutPagesSite({ owner, repo: name, source: { branch: 'main', path: '/' } });
    await moveCloudClock(cloud().url, { advanceMs: 2 * STEP });
    expect(await buildStatus(gh, name)).toBe('built');
    const host = hostOf(page.html_url!);
    const readme = await fetchSite(cloud().url, host, `/${name}/README.md`);
    expect([readme.status, readme.body.toString()]).toEqual([200, `# ${name}\n`]);

    expect((await gh.repos.deletePagesSite({ owner, repo: name })).status).toBe(204);
    expect((await refusal(gh.repos.getPages({ owner, repo: name }))).status).toBe(404);
    expect((await refusal(gh.repos.deletePagesSite({ owner, repo: name }))).status).toBe(404);
    expect((await fetchSite(cloud().url, host, `/${name}/README.md`)).status).toBe(404);
  });

  it('the primary rate limit: 403 with x-ratelimit-remaining 0 once the hour is used up, until its reset', async () => {
    const config = cloud().config.github;
    const limit = config.requestsPerHour;
    const other = client(LOCAL_GITHUB.otherToken);
    try {
      const used = Number((await other.users.getAuthenticated()).headers['x-ratelimit-used']);
      config.requestsPerHour = used + 1;
      expect((await other.users.getAuthenticated()).headers['x-ratelimit-remaining']).toBe('0');
      const over = await refusal(other.users.getAuthenticated());
      expect([over.status, over.response.headers['x-ratelimit-remaining']]).toEqual([403, '0']);
      expect(over.response.data.message).toMatch(/^API rate limit exceeded for user ID /);
      const reset = Number(over.response.headers['x-ratelimit-reset']) * 1000;
      await moveCloudClock(cloud().url, { advanceMs: reset - (await moveCloudClock(cloud().url, {})) + 1 });
      expect((await other.users.getAuthenticated()).status).toBe(200);
    } finally {
      config.requestsPerHour = limit;
    }
  });
});

describe('persistence', () => {
  it('repositories, git objects and the published site survive a restart', async () => {
    const persistDir = mkdtempSync(path.join(tmpdir(), 'huskit-gh-'));
    const configFor = () => {
      const config = defaultCloudConfig({ port: 0, persistDir });
      config.github.buildStepMs = 10;
      return config;
    };
    const first = await startCloud(configFor());
    try {
      const gh = client(LOCAL_GITHUB.adminToken, first.url);
      const name = `${owner}.github.io`;
      await gh.repos.createForAuthenticatedUser({ name, auto_init: true });
      const files = { 'index.html': Buffer.from('kept bytes'), 'logo.png': PNG };
      const main = (await gh.git.getRef({ owner, repo: name, ref: 'heads/main' })).data.object.sha;
      const mainTree = (await gh.git.getCommit({ owner, repo: name, commit_sha: main })).data.tree.sha;
      const pushed = await commitFiles(gh, name, files, { commit: main, tree: mainTree });
      await gh.git.updateRef({ owner, repo: name, ref: 'heads/main', sha: pushed.commit });
      const { data: page } = await gh.repos.createPagesSite({ owner, repo: name, source: { branch: 'main' } });
      expect(page.html_url).toBe(`http://${owner}.github.localhost:${first.port}/`);
      await moveCloudClock(first.url, { advanceMs: 20 });
      expect((await fetchSite(first.url, hostOf(page.html_url!), '/')).body.toString()).toBe('kept bytes');
    } finally {
      await first.close();
    }
    const second = await startCloud(configFor());
    try {
      const site = await fetchSite(second.url, `${owner}.github.localhost`, '/logo.png');
      expect([site.status, site.body.equals(PNG)]).toEqual([200, true]);
      expect((await cloudStats(second.url)).blobs['github.blobs']).toBe(3); // README.md, index.html, logo.png
      const gh = client(LOCAL_GITHUB.adminToken, second.url);
      expect((await gh.repos.getLatestPagesBuild({ owner, repo: `${owner}.github.io` })).data.status).toBe('built');
    } finally {
      await second.close();
      rmSync(persistDir, { recursive: true, force: true });
    }
  });
});
