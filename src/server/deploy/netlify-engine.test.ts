// The engine end to end on Netlify (the local cloud), in both modes: files → blobs → deployment →
// runner → adapter (SHA-1 map, required uploads, deploy polling) → the bytes served at the site URL.
import { useLocalCloud } from '@/testing/local-cloud';
import { eq } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_NETLIFY } from '@/lib/platforms/netlify/local';
import { signUp } from '@/server/auth/accounts';
import { saveConnection } from '@/server/connections/store';
import { sites } from '@/server/db/schema';
import { cloudStats, exactRequestCount, fetchSite, hostOf, requestCount, setFaults } from '@/testing/cloud';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { deployFiles, deployTwiceThenRollback } from '@/testing/deploy';
import { fixtureSite } from '@/testing/fixture-site';
import { deploySettings } from './settings';

const cloud = useLocalCloud((config) => {
  config.netlify.stepMs = 20;
});
const getDb = useTestDb();
// Short retries and polls; no limits: this file deploys far more than a person may in an hour (the
// policy has its own tests).
const settings = deploySettings({
  retries: { baseDelayMs: 5, maxDelayMs: 20, attempts: 6 },
  runner: { retryDelayMs: 50 },
  polling: { netlify: { intervalMs: 15 } },
  limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6, userTokenPerHour: 1e6, platformQuota: {} },
});

let userId: string;
beforeAll(async () => {
  userId = (await signUp(await getDb(), { email: uniqueEmail('nf'), password: 'a long enough password' })).id;
});
beforeEach(() => setFaults(cloud().url, { rules: [] }));
const chat = () => `nf-${Math.random().toString(36).slice(2, 8)}`;

const UPLOADS = 'netlify PUT /api/v1/deploys/:deploy_id/files/*';
const CREATE_DEPLOY = 'netlify POST /api/v1/sites/:site_id/deploys';

/** Every file at its URL (folders by their trailing slash), byte for byte, with its Content-Type. */
async function expectServed(url: string, expected: ReturnType<typeof fixtureSite>['expected']) {
  const canonical = (p: string) => `/${p.replace(/index\.html$/, '')}`;
  for (const [path, file] of Object.entries(expected)) {
    const res = await fetchSite(cloud().url, hostOf(url), encodeURI(canonical(path)));
    expect(res.status, path).toBe(200);
    expect(res.body.equals(file.bytes), path).toBe(true);
    expect(res.headers['content-type'], path).toBe(file.contentType);
  }
}

async function netlifySites(token: string, name?: string): Promise<{ id: string; name: string }[]> {
  const res = await fetch(`${cloud().url}/api/v1/sites?filter=all${name ? `&name=${name}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
  return res.json() as Promise<{ id: string; name: string }[]>;
}

describe('deploying to Netlify', () => {
  it('platform-managed: a huskit- site in the shared team serves every file byte for byte, the SPA fallback, _headers and _redirects', async () => {
    const { files, expected } = fixtureSite('nf-pm');
    const row = await deployFiles(await getDb(), { userId, chatId: chat(), platform: 'netlify', authMode: 'platform-managed', files }, { settings });
    expect([row.status, row.error]).toEqual(['ready', null]);
    expect(row.url).toMatch(new RegExp(`^http://huskit-[0-9a-f]{12}\\.netlify\\.localhost:${cloud().port}$`));
    expect(row.externalProjectId).toBe(LOCAL_NETLIFY.platformAccountSlug);
    await expectServed(row.url!, expected);

    const get = (p: string) => fetchSite(cloud().url, hostOf(row.url!), p);
    const spa = await get('/dashboard/settings');
    expect([spa.status, spa.body.toString()]).toEqual([200, expected['index.html']!.bytes.toString()]);
    expect((await get('/assets/app.js')).headers['x-huskit-test']).toBe('assets');
    const moved = await get('/old-page');
    expect([moved.status, moved.headers.location]).toEqual([301, '/docs/guide/intro/']);
    // _headers and _redirects configure the site; they are not served as files.
    expect((await get('/_headers')).body.toString()).toBe(expected['index.html']!.bytes.toString());
  });

  it('serves 404.html with status 404 when the site has one', async () => {
    const row = await deployFiles(
      await getDb(),
      {
        userId,
        chatId: chat(),
        platform: 'netlify',
        authMode: 'platform-managed',
        files: { 'index.html': '<h1>home</h1>', '404.html': '<h1>not here</h1>' },
      },
      { settings },
    );
    const missing = await fetchSite(cloud().url, hostOf(row.url!), '/nope');
    expect([missing.status, missing.body.toString()]).toEqual([404, '<h1>not here</h1>']);
  });

  it("user-token: deploys into the user's own account, named after the project", async () => {
    const db = await getDb();
    await saveConnection(db, {
      userId,
      platform: 'netlify',
      credentials: { token: LOCAL_NETLIFY.userToken },
      hintOf: LOCAL_NETLIFY.userToken,
      accountFacts: {},
    });
    const { files, expected } = fixtureSite('nf-ut');
    const row = await deployFiles(db, { userId, chatId: chat(), siteName: 'My Portfolio!', platform: 'netlify', authMode: 'user-token', files }, { settings });
    expect([row.status, row.error]).toEqual(['ready', null]);
    expect(row.url).toMatch(new RegExp(`^http://my-portfolio-[0-9a-f]{6}\\.netlify\\.localhost:${cloud().port}$`));
    expect(row.externalProjectId).toBe(LOCAL_NETLIFY.userAccountSlug);
    await expectServed(row.url!, expected);
    // The site is the user's, not the shared team's.
    const name = hostOf(row.url!).split('.')[0]!;
    expect((await netlifySites(LOCAL_NETLIFY.userToken, name)).map((s) => s.id)).toEqual([row.externalId]);
    expect(await netlifySites(LOCAL_NETLIFY.platformToken, name)).toEqual([]);
  });

  it('redeploys one changed file: one file uploaded to Netlify, same site, same URL', async () => {
    const db = await getDb();
    const chatId = chat();
    const { files } = fixtureSite('nf-redeploy');
    const first = await deployFiles(db, { userId, chatId, platform: 'netlify', authMode: 'platform-managed', files }, { settings });
    const before = await cloudStats(cloud().url);

    const changed = { ...files, 'assets/css/site.css': 'body { color: rebeccapurple; }' };
    const second = await deployFiles(db, { userId, chatId, platform: 'netlify', authMode: 'platform-managed', files: changed }, { settings });
    const after = await cloudStats(cloud().url);
    expect([second.status, second.url, second.externalId]).toEqual(['ready', first.url, first.externalId]);
    expect(requestCount(after, UPLOADS) - requestCount(before, UPLOADS)).toBe(1);
    expect(after.blobs['netlify.files']! - before.blobs['netlify.files']!).toBe(1);
    expect((await fetchSite(cloud().url, hostOf(second.url!), '/assets/css/site.css')).body.toString()).toBe('body { color: rebeccapurple; }');
  });

  it('a rollback restores the earlier Netlify deploy without uploading anything', async () => {
    const db = await getDb();
    const chatId = chat();
    const { v1, row, before, after } = await deployTwiceThenRollback(db, cloud().url, { userId, chatId, platform: 'netlify' }, { settings });
    expect([row.status, row.url]).toEqual(['ready', v1.url]);
    // Exact route names: requestCount would also count …/deploys/:deploy_id/restore under CREATE_DEPLOY.
    const exact = exactRequestCount;
    expect([exact(after, CREATE_DEPLOY) - exact(before, CREATE_DEPLOY), exact(after, UPLOADS) - exact(before, UPLOADS)]).toEqual([0, 0]);
    expect(exact(after, `${CREATE_DEPLOY}/:deploy_id/restore`) - exact(before, `${CREATE_DEPLOY}/:deploy_id/restore`)).toBe(1);
    expect((await fetchSite(cloud().url, hostOf(v1.url!), '/')).body.toString()).toBe(`<h1>one ${chatId}</h1>`);
  });
});

describe('faults and refusals', () => {
  it('20 deployments reach ready through 20% of Netlify calls failing, with no duplicate sites', async () => {
    const db = await getDb();
    await setFaults(cloud().url, {
      seed: 11,
      rules: [
        { target: 'netlify', kind: 'status', status: 429, retryAfter: 0, probability: 0.07 },
        { target: 'netlify', kind: 'status', status: 503, probability: 0.07 },
        { target: 'netlify', kind: 'drop', probability: 0.07 },
      ],
    });
    const chatId = chat();
    for (let i = 0; i < 20; i++) {
      const files = { 'index.html': `<h1>version ${i} ${chatId}</h1>`, 'about.html': `<p>${i}</p>` };
      const row = await deployFiles(db, { userId, chatId, platform: 'netlify', authMode: 'platform-managed', files }, { settings });
      expect([i, row.status, row.error]).toEqual([i, 'ready', null]);
      expect((await fetchSite(cloud().url, hostOf(row.url!), '/')).body.toString()).toBe(`<h1>version ${i} ${chatId}</h1>`);
    }
    const stats = await cloudStats(cloud().url);
    expect(Object.values(stats.faultsFired).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    await setFaults(cloud().url, { rules: [] });
    const [site] = await db.select().from(sites).where(eq(sites.chatId, chatId));
    const name = (await netlifySites(LOCAL_NETLIFY.platformToken)).find((s) => s.id === site!.externalId)!.name;
    expect((await netlifySites(LOCAL_NETLIFY.platformToken, name)).filter((s) => s.name === name)).toHaveLength(1);
    expect(name).toMatch(/^huskit-[0-9a-f]{12}$/);
  }, 120_000);

  it('the answer of the create-deploy call lost once after Netlify handled it: exactly one deploy for the deployment, and the site live', async () => {
    // A timeout or dropped answer is followed by a read of the site's deploys (by the title we send,
    // as netlify-cli's createSiteDeploy does in src/commands/deploy/deploy.ts), not a blind resend.
    const db = await getDb();
    await setFaults(cloud().url, { rules: [{ target: 'netlify', method: 'POST', route: '/sites/:site_id/deploys', kind: 'drop-after', count: 1 }] });
    const chatId = chat();
    const files = { 'index.html': `<h1>lost answer ${chatId}</h1>`, 'about.html': '<p>about</p>' };
    const row = await deployFiles(db, { userId, chatId, platform: 'netlify', authMode: 'platform-managed', files }, { settings });
    expect([row.status, row.error]).toEqual(['ready', null]);
    expect((await cloudStats(cloud().url)).faultsFired).toEqual({ 'rule-1': 1 });
    const res = await fetch(`${cloud().url}/api/v1/sites/${row.externalId}/deploys`, { headers: { authorization: `Bearer ${LOCAL_NETLIFY.platformToken}` } });
    const deploys = (await res.json()) as { title: string; state: string }[];
    expect(deploys.map((d) => [d.title, d.state])).toEqual([[`Huskit deployment ${row.id}`, 'ready']]);
    expect((await fetchSite(cloud().url, hostOf(row.url!), '/')).body.toString()).toBe(files['index.html']);
  });

  it('a wrong user token ends the deployment in error with a message a person can act on', async () => {
    const db = await getDb();
    const other = (await signUp(db, { email: uniqueEmail('nf-bad'), password: 'a long enough password' })).id;
    await saveConnection(db, {
      userId: other,
      platform: 'netlify',
      credentials: { token: 'revoked-token-000' },
      hintOf: 'revoked-token-000',
      accountFacts: {},
    });
    const row = await deployFiles(
      db,
      { userId: other, chatId: chat(), platform: 'netlify', authMode: 'user-token', files: { 'index.html': 'x' } },
      { settings },
    );
    expect([row.status, row.errorCode]).toEqual(['error', 'auth']);
    expect(row.error).toBe(
      'Netlify refused the access token. Create a new personal access token in Netlify (User settings → Applications) and reconnect in Settings.',
    );
    expect(row.leaseOwner).toBeNull();
  });
});
