// The engine end to end on Vercel (the local cloud), in both modes: files → blobs → deployment →
// runner → adapter (project, missing_files, /v2/files, deployment, alias) → the bytes served at the
// production alias.
import { useLocalCloud } from '@/testing/local-cloud';
import { eq } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_VERCEL } from '@/lib/platforms/vercel/local';
import { signUp } from '@/server/auth/accounts';
import { saveConnection } from '@/server/connections/store';
import { sites } from '@/server/db/schema';
import { cloudStats, exactRequestCount, fetchSite, hostOf, requestCount, setFaults } from '@/testing/cloud';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { deployFiles, deployTwiceThenRollback } from '@/testing/deploy';
import { fixtureSite } from '@/testing/fixture-site';
import { BlobStore } from './blob-store';
import { decodeInlineFiles } from './files';
import { deploySettings } from './settings';

const cloud = useLocalCloud((config) => {
  config.vercel.stepMs = 50;
});
const getDb = useTestDb();
// Short retries and polls; no limits: this file deploys far more than a person may in an hour (the
// policy has its own tests).
const settings = deploySettings({
  retries: { baseDelayMs: 5, maxDelayMs: 20, attempts: 6 },
  runner: { retryDelayMs: 50 },
  polling: { vercel: { intervalMs: 25 } },
  limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6, userTokenPerHour: 1e6, platformQuota: {} },
});

let userId: string;
beforeAll(async () => {
  userId = (await signUp(await getDb(), { email: uniqueEmail('vercel'), password: 'a long enough password' })).id;
});
beforeEach(() => setFaults(cloud().url, { rules: [] }));
const chat = () => `vc-${Math.random().toString(36).slice(2, 8)}`;
const FILES = 'vercel POST /vercel/v2/files';
const CREATE_DEPLOYMENT = 'vercel POST /vercel/v13/deployments';

/** Where a file is served with clean URLs: `about.html` at `/about`, `docs/index.html` at `/docs/`. */
const canonical = (path: string) => `/${path.replace(/index\.html$/, '').replace(/\.html$/, '')}`;

async function expectServed(url: string, expected: ReturnType<typeof fixtureSite>['expected']) {
  for (const [path, file] of Object.entries(expected)) {
    const res = await fetchSite(cloud().url, hostOf(url), encodeURI(canonical(path)));
    expect(res.status, path).toBe(200);
    expect(res.body.equals(file.bytes), path).toBe(true);
    expect(res.headers['content-type'], path).toBe(file.contentType);
  }
  const root = await fetchSite(cloud().url, hostOf(url), '/');
  expect(root.body.equals(expected['index.html']!.bytes)).toBe(true);
}

async function projects(token: string, teamId?: string): Promise<{ id: string; name: string }[]> {
  const res = await fetch(`${cloud().url}/vercel/v9/projects?limit=100${teamId ? `&teamId=${teamId}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { projects: { id: string; name: string }[] }).projects;
}

describe('deploying to Vercel', () => {
  it('platform-managed: a huskit- project of the shared team serves every file byte for byte, and unknown paths get the SPA index', async () => {
    const { files, expected } = fixtureSite('vc-pm');
    const row = await deployFiles(
      await getDb(),
      { userId, chatId: chat(), siteName: 'My Landing', platform: 'vercel', authMode: 'platform-managed', files },
      { settings },
    );
    expect([row.status, row.error]).toEqual(['ready', null]);
    expect(row.externalProjectId).toBe(LOCAL_VERCEL.platformTeamId);
    expect(row.externalId).toMatch(/^prj_/);
    expect(row.url).toMatch(new RegExp(`^http://huskit-[0-9a-f]{12}\\.vercel\\.localhost:${cloud().port}$`));
    await expectServed(row.url!, expected);
    const deep = await fetchSite(cloud().url, hostOf(row.url!), '/dashboard/settings');
    expect([deep.status, deep.body.toString()]).toEqual([200, expected['index.html']!.bytes.toString()]);
    // Vercel gives _redirects and _headers no meaning: they become its own redirects and headers.
    const moved = await fetchSite(cloud().url, hostOf(row.url!), '/old-page');
    expect([moved.status, moved.headers.location]).toEqual([301, '/docs/guide/intro/']);
    expect((await fetchSite(cloud().url, hostOf(row.url!), '/assets/app.js')).headers['x-huskit-test']).toBe('assets');
  });

  it("user-token: deploys into the user's own account, named after the project; a redeploy keeps project and URL", async () => {
    const db = await getDb();
    await saveConnection(db, {
      userId,
      platform: 'vercel',
      credentials: { token: LOCAL_VERCEL.userToken },
      hintOf: LOCAL_VERCEL.userToken,
      accountFacts: { username: 'local-user' },
    });
    const chatId = chat();
    const { files, expected } = fixtureSite('vc-ut');
    const first = await deployFiles(db, { userId, chatId, siteName: 'My Portfolio!', platform: 'vercel', authMode: 'user-token', files }, { settings });
    expect([first.status, first.error]).toEqual(['ready', null]);
    expect(first.url).toMatch(new RegExp(`^http://my-portfolio-[0-9a-f]{6}\\.vercel\\.localhost:${cloud().port}$`));
    expect(first.externalProjectId).toMatch(/^user_/);
    await expectServed(first.url!, expected);

    const count = (await projects(LOCAL_VERCEL.userToken)).length;
    const second = await deployFiles(
      db,
      {
        userId,
        chatId,
        siteName: 'My Portfolio!',
        platform: 'vercel',
        authMode: 'user-token',
        files: { ...files, 'index.html': '<h1>v2</h1>' },
      },
      { settings },
    );
    expect([second.status, second.url, second.externalId]).toEqual(['ready', first.url, first.externalId]);
    expect((await projects(LOCAL_VERCEL.userToken)).length).toBe(count);
    expect((await fetchSite(cloud().url, hostOf(second.url!), '/')).body.toString()).toBe('<h1>v2</h1>');
  });

  it('a site with its own 404.html gets it, with status 404, for unknown paths', async () => {
    const row = await deployFiles(
      await getDb(),
      {
        userId,
        chatId: chat(),
        platform: 'vercel',
        authMode: 'platform-managed',
        files: { 'index.html': '<h1>home</h1>', '404.html': '<h1>lost?</h1>' },
      },
      { settings },
    );
    const missing = await fetchSite(cloud().url, hostOf(row.url!), '/no/such/page');
    expect([missing.status, missing.body.toString()]).toEqual([404, '<h1>lost?</h1>']);
  });

  it('redeploys one changed file: one blob from the client, one file to Vercel, same URL', async () => {
    const db = await getDb();
    const chatId = chat();
    const { files } = fixtureSite('vc-redeploy');
    const first = await deployFiles(db, { userId, chatId, platform: 'vercel', authMode: 'platform-managed', files }, { settings });
    const before = await cloudStats(cloud().url);

    const changed = { ...files, 'assets/css/site.css': 'body { color: rebeccapurple; }' };
    const { proposed } = decodeInlineFiles(changed);
    const missing = await new BlobStore(db).missing(
      userId,
      Object.values(proposed).map((e) => e.sha256),
    );
    expect(missing).toEqual([proposed['assets/css/site.css']!.sha256]);

    const second = await deployFiles(db, { userId, chatId, platform: 'vercel', authMode: 'platform-managed', files: changed }, { settings });
    expect([second.status, second.url]).toEqual(['ready', first.url]);
    const after = await cloudStats(cloud().url);
    expect(requestCount(after, FILES) - requestCount(before, FILES)).toBe(1);
    expect(after.blobs['vercel.files']! - before.blobs['vercel.files']!).toBe(1);
    expect((await fetchSite(cloud().url, hostOf(second.url!), '/assets/css/site.css')).body.toString()).toBe('body { color: rebeccapurple; }');
  });

  it('a rollback re-points the production alias to the earlier deployment, with no new deployment and no upload', async () => {
    const db = await getDb();
    const chatId = chat();
    const { v1, row, before, after } = await deployTwiceThenRollback(db, cloud().url, { userId, chatId, platform: 'vercel' }, { settings });
    expect([row.status, row.url]).toEqual(['ready', v1.url]);
    const exact = exactRequestCount;
    expect([exact(after, CREATE_DEPLOYMENT) - exact(before, CREATE_DEPLOYMENT), requestCount(after, FILES) - requestCount(before, FILES)]).toEqual([0, 0]);
    expect(requestCount(after, '/rollback/') - requestCount(before, '/rollback/')).toBe(1);
    expect((await fetchSite(cloud().url, hostOf(v1.url!), '/')).body.toString()).toBe(`<h1>one ${chatId}</h1>`);

    // The project is now rolled back: Vercel stages the next production deployment until it is
    // promoted (https://vercel.com/docs/instant-rollback), so the deploy promotes it.
    const three = await deployFiles(
      db,
      {
        userId,
        chatId,
        platform: 'vercel',
        authMode: 'platform-managed',
        files: { 'index.html': `<h1>three ${chatId}</h1>` },
      },
      { settings },
    );
    expect([three.status, three.url]).toEqual(['ready', v1.url]);
    expect((await fetchSite(cloud().url, hostOf(v1.url!), '/')).body.toString()).toBe(`<h1>three ${chatId}</h1>`);
    expect(requestCount(await cloudStats(cloud().url), '/promote/') - requestCount(after, '/promote/')).toBe(1);
  });
});

describe('faults and refusals', () => {
  it('20 deployments reach ready through 20% of Vercel calls failing, with no duplicate projects', async () => {
    const db = await getDb();
    await setFaults(cloud().url, {
      seed: 7,
      rules: [
        { target: 'vercel', kind: 'status', status: 429, retryAfter: 0, probability: 0.07 },
        { target: 'vercel', kind: 'status', status: 503, probability: 0.07 },
        { target: 'vercel', kind: 'drop', probability: 0.07 },
      ],
    });
    const chatId = chat();
    for (let i = 0; i < 20; i++) {
      const files = { 'index.html': `<h1>vercel ${i}</h1>`, 'about.html': `<p>${i}</p>` };
      const row = await deployFiles(db, { userId, chatId, platform: 'vercel', authMode: 'platform-managed', files }, { settings });
      expect([i, row.status, row.error]).toEqual([i, 'ready', null]);
      expect((await fetchSite(cloud().url, hostOf(row.url!), '/')).body.toString()).toBe(`<h1>vercel ${i}</h1>`);
    }
    const stats = await cloudStats(cloud().url);
    expect(Object.values(stats.faultsFired).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    await setFaults(cloud().url, { rules: [] });
    const [site] = await db.select().from(sites).where(eq(sites.chatId, chatId));
    const shared = await projects(LOCAL_VERCEL.platformToken, LOCAL_VERCEL.platformTeamId);
    const ours = shared.find((p) => p.id === site!.externalId)!;
    expect(shared.filter((p) => p.name === ours.name)).toHaveLength(1);
  }, 120_000);

  it('a lost answer to the deployment create (handled, answer dropped): one Vercel deployment for the attempt, and the site live', async () => {
    const db = await getDb();
    const chatId = chat();
    const files = { 'index.html': `<h1>lost ${chatId}</h1>`, 'about.html': `<p>${chatId}</p>` };
    await deployFiles(db, { userId, chatId, platform: 'vercel', authMode: 'platform-managed', files }, { settings });
    // Vercel has every file now: the first create call makes the deployment, and its answer is lost.
    await setFaults(cloud().url, { rules: [{ target: 'vercel', method: 'POST', route: '/v13/deployments', kind: 'drop-after', count: 1 }] });
    const before = await cloudStats(cloud().url);
    const row = await deployFiles(db, { userId, chatId, platform: 'vercel', authMode: 'platform-managed', files }, { settings });
    const after = await cloudStats(cloud().url);
    expect([row.status, row.error, after.faultsFired['rule-1']]).toEqual(['ready', null, 1]);
    expect(after.blobs['vercel.deployments']! - before.blobs['vercel.deployments']!).toBe(1);
    expect((await fetchSite(cloud().url, hostOf(row.url!), '/about')).body.toString()).toBe(`<p>${chatId}</p>`);
  });

  it('a wrong user token ends the deployment in error with a readable message', async () => {
    const db = await getDb();
    const other = (await signUp(db, { email: uniqueEmail('vercel-bad'), password: 'a long enough password' })).id;
    await saveConnection(db, {
      userId: other,
      platform: 'vercel',
      credentials: { token: 'revokedverceltoken0000000000' },
      hintOf: 'revokedverceltoken0000000000',
      accountFacts: {},
    });
    const before = await cloudStats(cloud().url);
    const row = await deployFiles(
      db,
      {
        userId: other,
        chatId: chat(),
        siteName: 'Nope',
        platform: 'vercel',
        authMode: 'user-token',
        files: { 'index.html': 'x' },
      },
      { settings },
    );
    expect(row.status).toBe('error');
    expect(row.error).toBe(
      'Vercel refused the token: it is invalid, expired or revoked. Create a new token at vercel.com/account/tokens and reconnect in Settings.',
    );
    expect(requestCount(await cloudStats(cloud().url), FILES)).toBe(requestCount(before, FILES));
  });
});
