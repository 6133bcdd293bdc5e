// The engine end to end on AWS Amplify (the local cloud), in both modes: files → blobs → deployment →
// runner → adapter (zip, presigned upload, job) → the bytes served at the branch URL.
import { useLocalCloud } from '@/testing/local-cloud';
import { eq } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClient } from 'aws4fetch';
import { LOCAL_AWS } from '@/lib/platforms/amplify/local';
import { signUp } from '@/server/auth/accounts';
import { TRPCError } from '@trpc/server';
import { createCaller } from '@/server/api/root';
import { readConnectionCredentials, saveConnection } from '@/server/connections/store';
import { deploymentEvents, sites } from '@/server/db/schema';
import { cloudStats, fetchSite, hostOf, setFaults } from '@/testing/cloud';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { deployFiles } from '@/testing/deploy';
import { useDeploySettings } from '@/testing/deploy-settings';
import { fixtureSite } from '@/testing/fixture-site';

const cloud = useLocalCloud();
const getDb = useTestDb();
// Short retries and polls, no limits: for the deployments the tests drive and the connection Settings saves.
const { settings } = useDeploySettings({
  retries: { baseDelayMs: 5, maxDelayMs: 20, attempts: 6 },
  runner: { retryDelayMs: 50 },
  polling: { amplify: { intervalMs: 25 } },
  limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6, userTokenPerHour: 1e6, platformQuota: {} },
});

let userId: string;
beforeAll(async () => {
  userId = (await signUp(await getDb(), { email: uniqueEmail('amp'), password: 'a long enough password' })).id;
});
beforeEach(() => setFaults(cloud().url, { rules: [] }));
const chat = () => `amp-${Math.random().toString(36).slice(2, 8)}`;

async function expectServed(url: string, expected: ReturnType<typeof fixtureSite>['expected']) {
  for (const [path, file] of Object.entries(expected)) {
    const res = await fetchSite(cloud().url, hostOf(url), encodeURI(`/${path}`));
    expect(res.status, path).toBe(200);
    expect(res.body.equals(file.bytes), path).toBe(true);
    // Amplify names the type without a charset.
    expect(res.headers['content-type'], path).toBe(file.contentType.split(';')[0]);
  }
}

describe('deploying to AWS Amplify', () => {
  it('platform-managed: one hs- branch of the shared app serves every file byte for byte, and unknown paths get the SPA index', async () => {
    const { files, expected } = fixtureSite('amp-pm');
    const row = await deployFiles(
      await getDb(),
      { userId, chatId: chat(), siteName: 'My Landing', platform: 'amplify', authMode: 'platform-managed', files },
      { settings },
    );
    expect([row.status, row.error]).toEqual(['ready', null]);
    expect(row.externalProjectId).toBe(LOCAL_AWS.platformAppId);
    expect(row.externalId).toMatch(/^hs-[0-9a-f]{12}$/);
    expect(row.url).toBe(`http://${row.externalId}.${LOCAL_AWS.platformAppId}.amplifyapp.localhost:${cloud().port}`);
    await expectServed(row.url!, expected);
    const deep = await fetchSite(cloud().url, hostOf(row.url!), '/dashboard/settings');
    expect([deep.status, deep.body.toString()]).toEqual([200, expected['index.html']!.bytes.toString()]);
  });

  it("user-token: an app is made in the user's account once; a redeploy keeps the app, the branch and the URL", async () => {
    const db = await getDb();
    await saveConnection(db, {
      userId,
      platform: 'amplify',
      credentials: { ...LOCAL_AWS.user, region: LOCAL_AWS.region },
      hintOf: LOCAL_AWS.user.accessKeyId,
      accountFacts: { region: LOCAL_AWS.region },
    });
    const chatId = chat();
    const { files, expected } = fixtureSite('amp-ut');
    const first = await deployFiles(db, { userId, chatId, siteName: 'Portfolio', platform: 'amplify', authMode: 'user-token', files }, { settings });
    expect(first.status).toBe('ready');
    expect(first.externalProjectId).not.toBe(LOCAL_AWS.platformAppId);
    await expectServed(first.url!, expected);

    const apps = async () => {
      const aws = new AwsClient({ ...LOCAL_AWS.user, service: 'amplify', region: LOCAL_AWS.region, retries: 0 });
      return ((await (await aws.fetch(`${cloud().url}/apps`)).json()) as { apps: unknown[] }).apps.length;
    };
    const appsBefore = await apps();
    const second = await deployFiles(
      db,
      {
        userId,
        chatId,
        siteName: 'Portfolio',
        platform: 'amplify',
        authMode: 'user-token',
        files: { ...files, 'index.html': '<h1>v2</h1>' },
      },
      { settings },
    );
    expect([second.status, second.url, second.externalProjectId, second.externalId]).toEqual(['ready', first.url, first.externalProjectId, first.externalId]);
    expect(await apps()).toBe(appsBefore);
    expect((await fetchSite(cloud().url, hostOf(second.url!), '/')).body.toString()).toBe('<h1>v2</h1>');
  });

  it('user-token with temporary keys: Settings keeps the session token in the vault, and the deploy signs with it', async () => {
    const db = await getDb();
    const user = await signUp(db, { email: uniqueEmail('amp-sts'), password: 'a long enough password' });
    const caller = createCaller({ db, user });
    const { sessionToken: _, ...withoutToken } = LOCAL_AWS.userTemporary;
    // Without its token an ASIA key is refused by the form's own check, naming the field.
    const refused = await caller.connections.save({ platform: 'amplify', ...withoutToken, region: LOCAL_AWS.region }).catch((e: TRPCError) => e);
    expect(refused).toBeInstanceOf(TRPCError);
    expect(JSON.stringify(refused)).toMatch(/A key starting with ASIA is temporary: paste the session token that came with it\./);

    const saved = await caller.connections.save({ platform: 'amplify', ...LOCAL_AWS.userTemporary, region: LOCAL_AWS.region });
    expect(saved).toMatchObject({
      platform: 'amplify',
      secretHint: `…${LOCAL_AWS.userTemporary.accessKeyId.slice(-4)}`,
      accountFacts: { region: LOCAL_AWS.region },
    });
    expect(JSON.stringify(saved)).not.toContain(LOCAL_AWS.userTemporary.sessionToken);
    expect(await readConnectionCredentials(db, user.id, 'amplify')).toMatchObject({ sessionToken: LOCAL_AWS.userTemporary.sessionToken });

    const { files, expected } = fixtureSite('amp-sts');
    const row = await deployFiles(
      db,
      { userId: user.id, chatId: chat(), siteName: 'Temporary keys', platform: 'amplify', authMode: 'user-token', files },
      { settings },
    );
    expect([row.status, row.error]).toEqual(['ready', null]);
    await expectServed(row.url!, expected);
  });

  it('user-token: a site with its own 404.html gets it, with status 404, for unknown paths', async () => {
    const db = await getDb();
    const row = await deployFiles(
      db,
      {
        userId,
        chatId: chat(),
        siteName: 'With 404',
        platform: 'amplify',
        authMode: 'user-token',
        files: { 'index.html': '<h1>home</h1>', '404.html': '<h1>lost?</h1>' },
      },
      { settings },
    );
    expect(row.status).toBe('ready');
    const missing = await fetchSite(cloud().url, hostOf(row.url!), '/no/such/page');
    expect([missing.status, missing.body.toString()]).toEqual([404, '<h1>lost?</h1>']);
  });

  it("user-token: the site's _redirects become the rules of its own app (redirects, splats, placeholders, a rewrite that yields to files)", async () => {
    const db = await getDb();
    const redirects = ['/old-page /docs/ 301', '/blog/* /posts/:splat 302', '/u/:name /people/:name.html 301', '/* /index.html 200', ''].join('\n');
    const row = await deployFiles(
      db,
      {
        userId,
        chatId: chat(),
        siteName: 'With redirects',
        platform: 'amplify',
        authMode: 'user-token',
        files: { 'index.html': '<h1>app</h1>', 'docs/index.html': '<h1>docs</h1>', 'style.css': 'p{}', _redirects: redirects },
      },
      { settings },
    );
    expect([row.status, row.error]).toEqual(['ready', null]);
    const get = (p: string) => fetchSite(cloud().url, hostOf(row.url!), p);
    const moved = await get('/old-page');
    expect([moved.status, moved.headers.location]).toEqual([301, '/docs/']);
    expect((await get('/blog/2026/hello')).headers.location).toBe('/posts/2026/hello');
    expect((await get('/u/ada')).headers.location).toBe('/people/ada.html');
    // The catch-all rewrite does not hide real files; unknown paths get the app.
    expect((await get('/style.css')).body.toString()).toBe('p{}');
    expect((await get('/pricing')).body.toString()).toBe('<h1>app</h1>');
    // A redeploy with the same rules leaves the app alone.
    const before = await cloudStats(cloud().url);
    await deployFiles(
      db,
      {
        userId,
        chatId: row.chatId,
        siteName: 'With redirects',
        platform: 'amplify',
        authMode: 'user-token',
        files: { 'index.html': '<h1>app 2</h1>', _redirects: redirects },
      },
      { settings },
    );
    const after = await cloudStats(cloud().url);
    const updates = (s: typeof after) =>
      Object.entries(s.requests)
        .filter(([r]) => r.includes('POST /apps/:appId') && !r.includes('branches'))
        .reduce((n, [, c]) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
    expect(updates(after) - updates(before)).toBe(0);
  });

  it("platform-managed: the shared app cannot carry one site's _redirects; the log says so and the file is served", async () => {
    const db = await getDb();
    const row = await deployFiles(
      db,
      {
        userId,
        chatId: chat(),
        platform: 'amplify',
        authMode: 'platform-managed',
        files: { 'index.html': '<h1>q</h1>', _redirects: '/a /b 301\n' },
      },
      { settings },
    );
    expect(row.status).toBe('ready');
    expect((await fetchSite(cloud().url, hostOf(row.url!), '/_redirects')).body.toString()).toBe('/a /b 301\n');
    const log = await db.select().from(deploymentEvents).where(eq(deploymentEvents.deploymentId, row.id));
    expect(log.some((e) => e.message.includes("this site's _redirects is served as a file"))).toBe(true);
  });

  it('20 deployments reach ready through 20% of platform calls failing, with no duplicate branches', async () => {
    const db = await getDb();
    await setFaults(cloud().url, {
      seed: 5,
      rules: [
        { target: 'amplify', kind: 'status', status: 503, probability: 0.1 },
        { target: 'amplify', kind: 'drop', probability: 0.05 },
        { target: 's3', kind: 'status', status: 500, probability: 0.05 },
      ],
    });
    const chatId = chat();
    for (let i = 0; i < 20; i++) {
      const row = await deployFiles(
        db,
        {
          userId,
          chatId,
          platform: 'amplify',
          authMode: 'platform-managed',
          files: { 'index.html': `<h1>amplify ${i}</h1>` },
        },
        { settings },
      );
      expect([i, row.status, row.error]).toEqual([i, 'ready', null]);
      expect((await fetchSite(cloud().url, hostOf(row.url!), '/')).body.toString()).toBe(`<h1>amplify ${i}</h1>`);
    }
    const stats = await cloudStats(cloud().url);
    expect(Object.values(stats.faultsFired).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    await setFaults(cloud().url, { rules: [] });
    const [site] = await db.select().from(sites).where(eq(sites.chatId, chatId));
    const aws = new AwsClient({ ...LOCAL_AWS.platform, service: 'amplify', region: LOCAL_AWS.region, retries: 0 });
    const branches = (
      (await (await aws.fetch(`${cloud().url}/apps/${LOCAL_AWS.platformAppId}/branches?maxResults=50`)).json()) as { branches: { branchName: string }[] }
    ).branches;
    expect(branches.filter((b) => b.branchName === site!.externalId)).toHaveLength(1);
  }, 120_000);
});
