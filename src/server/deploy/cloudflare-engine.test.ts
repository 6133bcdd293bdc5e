// The engine end to end on Cloudflare (the local cloud), in both modes: files → blobs → deployment →
// runner → adapter → the bytes served at the URL.
import { useLocalCloud } from '@/testing/local-cloud';
import { asc, eq, sql } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_CLOUDFLARE } from '@/lib/platforms/cloudflare/local';
import { signUp } from '@/server/auth/accounts';
import { removeConnection, saveConnection } from '@/server/connections/store';
import { deploymentEvents, deployments, sites } from '@/server/db/schema';
import { cloudStats, exactRequestCount, fetchSite, hostOf, requestCount, setFaults } from '@/testing/cloud';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { createDeployment, deployFiles, deployTwiceThenRollback, rollback } from '@/testing/deploy';
import { fixtureSite } from '@/testing/fixture-site';
import { BlobStore } from './blob-store';
import { decodeInlineFiles } from './files';
import { createFromChanges, createFromNegotiated, negotiateFiles } from './service';
import { deployManifest, type DeployCalls } from '@/lib/deploy-client';
import { manifestHash } from '@/lib/manifest';
import { hashed } from '@/testing/app-client';
import { AppError } from '@/server/errors';
import type { HashedFile } from '@/lib/upload';
import { deploySettings } from './settings';
import { claimLease, driveDeployment } from './runner';
import { storeInlineFiles } from './files';
import { cloudflareSettings } from '../platforms/cloudflare/settings';

const cloud = useLocalCloud();
const getDb = useTestDb();
// Short retries; no limits: this file deploys far more than a person may in an hour (the policy has
// its own tests).
const settings = deploySettings({
  retries: { baseDelayMs: 5, maxDelayMs: 20, attempts: 6 },
  runner: { retryDelayMs: 50 },
  limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6, userTokenPerHour: 1e6, platformQuota: {} },
});

let userId: string;
beforeAll(async () => {
  userId = (await signUp(await getDb(), { email: uniqueEmail(), password: 'a long enough password' })).id;
});
beforeEach(() => setFaults(cloud().url, { rules: [] }));

const chat = () => `chat-${Math.random().toString(36).slice(2, 8)}`;

async function expectServed(url: string, expected: ReturnType<typeof fixtureSite>['expected']) {
  const canonical = (p: string) => `/${p.replace(/index\.html$/, '')}`;
  for (const [path, file] of Object.entries(expected)) {
    const res = await fetchSite(cloud().url, hostOf(url), encodeURI(canonical(path)));
    expect(res.status, path).toBe(200);
    expect(res.body.equals(file.bytes), path).toBe(true);
    expect(res.headers['content-type'], path).toBe(file.contentType);
  }
}

describe('deploying to Cloudflare', () => {
  it('platform-managed: serves every file byte for byte, the SPA fallback, _headers and _redirects', async () => {
    const db = await getDb();
    const { files, expected } = fixtureSite('pm');
    const row = await deployFiles(db, { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files }, { settings });
    expect([row.status, row.error]).toEqual(['ready', null]);
    expect(row.url).toMatch(new RegExp(`^http://huskit-[0-9a-f]{12}\\.${LOCAL_CLOUDFLARE.subdomain}\\.workers\\.localhost:\\d+$`));
    await expectServed(row.url!, expected);

    const spa = await fetchSite(cloud().url, hostOf(row.url!), '/dashboard/settings');
    expect([spa.status, spa.body.toString()]).toEqual([200, expected['index.html']!.bytes.toString()]);
    expect((await fetchSite(cloud().url, hostOf(row.url!), '/assets/app.js')).headers['x-huskit-test']).toBe('assets');
    const moved = await fetchSite(cloud().url, hostOf(row.url!), '/old-page');
    expect([moved.status, moved.headers.location]).toEqual([301, '/docs/guide/intro/']);
    // _headers and _redirects configure the Worker; they are not served as files.
    expect((await fetchSite(cloud().url, hostOf(row.url!), '/_headers')).body.toString()).toBe(expected['index.html']!.bytes.toString());
  });

  it('serves 404.html with status 404 when the site has one', async () => {
    const row = await deployFiles(
      await getDb(),
      {
        userId,
        chatId: chat(),
        platform: 'cloudflare',
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
      platform: 'cloudflare',
      credentials: { apiToken: LOCAL_CLOUDFLARE.userToken, accountId: LOCAL_CLOUDFLARE.userAccountId },
      hintOf: LOCAL_CLOUDFLARE.userToken,
      accountFacts: {},
    });
    const { files, expected } = fixtureSite('ut');
    const row = await deployFiles(
      db,
      { userId, chatId: chat(), siteName: 'My Portfolio!', platform: 'cloudflare', authMode: 'user-token', files },
      { settings },
    );
    expect(row.status).toBe('ready');
    expect(row.url).toMatch(new RegExp(`^http://my-portfolio\\.${LOCAL_CLOUDFLARE.userSubdomain}\\.workers\\.localhost:\\d+$`));
    expect(row.externalProjectId).toBe(LOCAL_CLOUDFLARE.userAccountId);
    await expectServed(row.url!, expected);
  });

  it('redeploys one changed file: one blob from the client, one asset to Cloudflare, same URL', async () => {
    const db = await getDb();
    const chatId = chat();
    const { files } = fixtureSite('redeploy');
    const first = await deployFiles(db, { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', files }, { settings });
    const before = await cloudStats(cloud().url);

    const changed = { ...files, 'assets/css/site.css': 'body { color: rebeccapurple; }' };
    const { proposed } = decodeInlineFiles(changed);
    const missing = await new BlobStore(db).missing(
      userId,
      Object.values(proposed).map((e) => e.sha256),
    );
    expect(missing).toEqual([proposed['assets/css/site.css']!.sha256]);

    const second = await deployFiles(db, { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', files: changed }, { settings });
    expect(second.url).toBe(first.url);
    const after = await cloudStats(cloud().url);
    expect(after.blobs['cloudflare.assets']! - before.blobs['cloudflare.assets']!).toBe(1);
    expect(requestCount(after, '/workers/assets/upload') - requestCount(before, '/workers/assets/upload')).toBe(1);
    expect(requestCount(after, 'POST /client/v4/accounts/:account/workers/scripts/:script/versions')).toBeGreaterThan(
      requestCount(before, 'POST /client/v4/accounts/:account/workers/scripts/:script/versions'),
    );
    expect((await fetchSite(cloud().url, hostOf(second.url!), '/assets/css/site.css')).body.toString()).toBe('body { color: rebeccapurple; }');
  });
});

/** The local cloud's Cloudflare API as the platform account sees it. */
async function cfApi<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${cloud().url}/client/v4/accounts/${LOCAL_CLOUDFLARE.accountId}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${LOCAL_CLOUDFLARE.platformToken}`, ...init.headers },
  });
  return ((await res.json()) as { result: T }).result;
}
const versionsOf = async (script: string) =>
  (
    await cfApi<{ items: { id: string; annotations: Record<string, string>; resources: { script_runtime: { compatibility_date: string } } }[] }>(
      `/workers/scripts/${script}/versions?deployable=true`,
    )
  ).items;
const deploymentsOf = async (script: string) =>
  (await cfApi<{ deployments: { id: string; annotations: Record<string, string> }[] }>(`/workers/scripts/${script}/deployments`)).deployments;
/** Requests of exactly one route (requestCount matches substrings: …/versions would also count …/versions/:version). */
const exact = (stats: Awaited<ReturnType<typeof cloudStats>>, route: string) => exactRequestCount(stats, `cloudflare ${route}`);
const SCRIPT = '/client/v4/accounts/:account/workers/scripts/:script';
const todayUtc = () => new Date().toISOString().slice(0, 10);

describe('as the real platform behaves', () => {
  it('a rollback deploys the earlier version at 100% natively: no upload session, no upload, one deployments call', async () => {
    const db = await getDb();
    const chatId = chat();
    const { v1, row, before, after } = await deployTwiceThenRollback(db, cloud().url, { userId, chatId, platform: 'cloudflare' }, { settings });
    expect([row.status, row.url]).toEqual(['ready', v1.url]);
    const delta = (route: string) => exact(after, route) - exact(before, route);
    expect([delta(`POST ${SCRIPT}/assets-upload-session`), delta('POST /client/v4/accounts/:account/workers/assets/upload')]).toEqual([0, 0]);
    expect([delta(`POST ${SCRIPT}/deployments`), delta(`POST ${SCRIPT}/versions`), delta(`PUT ${SCRIPT}`)]).toEqual([1, 0, 0]);
    expect((await fetchSite(cloud().url, hostOf(v1.url!), '/')).body.toString()).toBe(`<h1>one ${chatId}</h1>`);
    // The deployment sends all traffic to the version v1 made.
    const [latest] = await deploymentsOf(row!.externalId!);
    expect(latest).toMatchObject({ versions: [{ version_id: (v1.checkpoint as { versionId: string }).versionId, percentage: 100 }] });
  });

  it('a rollback whose version is gone (the Worker was deleted) deploys the files again', async () => {
    const db = await getDb();
    const chatId = chat();
    const v1 = await deployFiles(
      db,
      {
        userId,
        chatId,
        platform: 'cloudflare',
        authMode: 'platform-managed',
        files: { 'index.html': `<h1>kept ${chatId}</h1>` },
      },
      { settings },
    );
    await deployFiles(
      db,
      { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': `<h1>later ${chatId}</h1>` } },
      { settings },
    );
    await cfApi(`/workers/scripts/${v1.externalId}?force=true`, { method: 'DELETE' });
    const before = await cloudStats(cloud().url);
    const { deploymentId } = await rollback(db, userId, v1.id, { settings });
    await driveDeployment(db, deploymentId, { settings });
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    expect([row!.status, row!.url]).toEqual(['ready', v1.url]);
    expect(exact(await cloudStats(cloud().url), `POST ${SCRIPT}/assets-upload-session`) - exact(before, `POST ${SCRIPT}/assets-upload-session`)).toBe(1);
    expect((await fetchSite(cloud().url, hostOf(v1.url!), '/')).body.toString()).toBe(`<h1>kept ${chatId}</h1>`);
  });

  it('an unchanged redeploy uploads nothing: the API answers `buckets: [[]]` and that means nothing to upload', async () => {
    const db = await getDb();
    const chatId = chat();
    const files = { 'index.html': `<h1>same ${chatId}</h1>`, 'a.css': `a{} /* ${chatId} */` };
    await deployFiles(db, { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', files }, { settings });
    const before = await cloudStats(cloud().url);
    const again = await deployFiles(db, { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', files }, { settings });
    expect([again.status, again.error]).toEqual(['ready', null]);
    expect(requestCount(await cloudStats(cloud().url), '/workers/assets/upload') - requestCount(before, '/workers/assets/upload')).toBe(0);
  });

  it("turns workers.dev on with previews off explicitly, and new versions carry today's compatibility date (or the configured one)", async () => {
    const db = await getDb();
    const chatId = chat();
    const row = await deployFiles(
      db,
      { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': `<p>${chatId}</p>` } },
      { settings },
    );
    expect(row.status).toBe('ready');
    expect(await cfApi(`/workers/scripts/${row.externalId}/subdomain`)).toEqual({ enabled: true, previews_enabled: false });
    expect((await versionsOf(row.externalId!))[0]!.resources.script_runtime.compatibility_date).toBe(todayUtc());

    const env = cloudflareSettings();
    env.compatibilityDate = '2025-06-01';
    try {
      await deployFiles(
        db,
        { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': `<p>dated ${chatId}</p>` } },
        { settings },
      );
    } finally {
      env.compatibilityDate = undefined;
    }
    expect((await versionsOf(row.externalId!))[0]!.resources.script_runtime.compatibility_date).toBe('2025-06-01');
    expect(cloudflareSettings.parse({ CLOUDFLARE_COMPATIBILITY_DATE: '2026-02-03' }).compatibilityDate).toBe('2026-02-03');
    expect(() => cloudflareSettings.parse({ CLOUDFLARE_COMPATIBILITY_DATE: 'next tuesday' })).toThrow(/CLOUDFLARE_COMPATIBILITY_DATE/);
  });

  it('a redeploy reads the workers.dev route and leaves it be when it is on; one turned off meanwhile is turned on again', async () => {
    const db = await getDb();
    const chatId = chat();
    const deploy = (text: string) =>
      deployFiles(
        db,
        { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': `<p>${text} ${chatId}</p>` } },
        { settings },
      );
    const first = await deploy('one');
    const before = await cloudStats(cloud().url);
    const second = await deploy('two');
    const mid = await cloudStats(cloud().url);
    const between = (a: typeof before, b: typeof before, route: string) => exact(b, route) - exact(a, route);
    expect([second.status, second.url]).toEqual(['ready', first.url]);
    // One read of the route (which also says the Worker exists), and no write of it.
    expect([between(before, mid, `GET ${SCRIPT}/subdomain`), between(before, mid, `POST ${SCRIPT}/subdomain`)]).toEqual([1, 0]);
    expect(between(before, mid, 'GET /client/v4/accounts/:account/workers/services/:script')).toBe(0);
    const steps = await db.select({ step: deploymentEvents.step }).from(deploymentEvents).where(eq(deploymentEvents.deploymentId, second.id));
    expect(steps.map((e) => e.step)).not.toContain('workers-dev');
    expect((await fetchSite(cloud().url, hostOf(second.url!), '/')).body.toString()).toBe(`<p>two ${chatId}</p>`);

    // Turned off on the account (the dashboard, another tool): the next deploy turns it on again.
    await cfApi(`/workers/scripts/${first.externalId}/subdomain`, { method: 'DELETE' });
    expect((await fetchSite(cloud().url, hostOf(first.url!), '/')).status).toBe(404);
    const third = await deploy('three');
    expect(between(mid, await cloudStats(cloud().url), `POST ${SCRIPT}/subdomain`)).toBe(1);
    expect(await cfApi(`/workers/scripts/${first.externalId}/subdomain`)).toEqual({ enabled: true, previews_enabled: false });
    expect((await fetchSite(cloud().url, hostOf(third.url!), '/')).body.toString()).toBe(`<p>three ${chatId}</p>`);
  });

  it('a file .assetsignore matches is neither uploaded nor served, nor is .assetsignore itself', async () => {
    const db = await getDb();
    const chatId = chat();
    const before = await cloudStats(cloud().url);
    const row = await deployFiles(
      db,
      {
        userId,
        chatId,
        platform: 'cloudflare',
        authMode: 'platform-managed',
        files: { 'index.html': `<h1>${chatId}</h1>`, 'app.js.map': `{"secret":"${chatId}"}`, '.assetsignore': `*.map\n# ${chatId}\n` },
      },
      { settings },
    );
    expect(row.status).toBe('ready');
    const after = await cloudStats(cloud().url);
    // Only index.html reached Cloudflare.
    expect(after.blobs['cloudflare.assets']! - before.blobs['cloudflare.assets']!).toBe(1);
    for (const path of ['/app.js.map', '/.assetsignore']) {
      const res = await fetchSite(cloud().url, hostOf(row.url!), path);
      expect(res.body.toString(), path).toBe(`<h1>${chatId}</h1>`); // the SPA fallback, not the file
    }
  });
});

describe('file names', () => {
  it('files named like Object properties (__proto__, constructor, toString) are deployed and served as files', async () => {
    const db = await getDb();
    const chatId = chat();
    // As a JSON body names them: `__proto__` an own key like any other.
    const files = JSON.parse(
      JSON.stringify({ 'index.html': `<h1>${chatId}</h1>` }).replace(/}$/, `,"__proto__":"p ${chatId}","constructor":"c ${chatId}","toString":"t ${chatId}"}`),
    ) as Record<string, string>;
    const row = await deployFiles(db, { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', files }, { settings });
    expect([row.status, row.error, row.fileCount]).toEqual(['ready', null, 4]);
    for (const [name, prefix] of [
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['toString', 't'],
    ])
      expect((await fetchSite(cloud().url, hostOf(row.url!), `/${name}`)).body.toString(), name).toBe(`${prefix} ${chatId}`);
  });
});

describe('lost answers: a create whose answer never came is read back, not sent again', () => {
  it('the Worker upload (PUT) handled but its answer lost: one version, the site live', async () => {
    const db = await getDb();
    const chatId = chat();
    await setFaults(cloud().url, { rules: [{ target: 'cloudflare', method: 'PUT', route: '/workers/scripts/:script', kind: 'drop-after', count: 1 }] });
    const row = await deployFiles(
      db,
      {
        userId,
        chatId,
        platform: 'cloudflare',
        authMode: 'platform-managed',
        files: { 'index.html': `<h1>put ${chatId}</h1>` },
      },
      { settings },
    );
    expect((await cloudStats(cloud().url)).faultsFired['rule-1']).toBe(1);
    expect([row.status, row.error]).toEqual(['ready', null]);
    const versions = await versionsOf(row.externalId!);
    expect(versions.map((v) => v.annotations['workers/tag'])).toEqual([row.id]);
    expect((await fetchSite(cloud().url, hostOf(row.url!), '/')).body.toString()).toBe(`<h1>put ${chatId}</h1>`);
  });

  it.each([
    ['the version upload', `/workers/scripts/:script/versions`],
    ['the deployment create', `/workers/scripts/:script/deployments`],
  ])('%s handled but its answer lost: exactly one version and one deployment for the attempt, the site live', async (_label, route) => {
    const db = await getDb();
    const chatId = chat();
    const first = await deployFiles(
      db,
      {
        userId,
        chatId,
        platform: 'cloudflare',
        authMode: 'platform-managed',
        files: { 'index.html': `<h1>v1 ${chatId}</h1>` },
      },
      { settings },
    );
    await setFaults(cloud().url, { rules: [{ target: 'cloudflare', method: 'POST', route, kind: 'drop-after', count: 1 }] });
    const second = await deployFiles(
      db,
      {
        userId,
        chatId,
        platform: 'cloudflare',
        authMode: 'platform-managed',
        files: { 'index.html': `<h1>v2 ${chatId}</h1>` },
      },
      { settings },
    );
    expect((await cloudStats(cloud().url)).faultsFired['rule-1']).toBe(1);
    expect([second.status, second.error, second.externalId]).toEqual(['ready', null, first.externalId]);
    const versions = await versionsOf(second.externalId!);
    expect(versions.map((v) => v.annotations['workers/tag'])).toEqual([second.id, first.id]);
    const made = (await deploymentsOf(second.externalId!)).filter((d) => d.annotations['workers/message']?.includes(second.id));
    expect(made).toHaveLength(1);
    expect((await fetchSite(cloud().url, hostOf(second.url!), '/')).body.toString()).toBe(`<h1>v2 ${chatId}</h1>`);
  });
});

describe('per-attempt timeouts', () => {
  it('an asset bucket gets time in proportion to its bytes, not the fixed timeout of small calls', async () => {
    const db = await getDb();
    // Small calls time out after 300 ms here; every upload is held 1 s by the platform.
    const shortTimeouts = deploySettings(settings, { retries: { attempts: 3, timeoutMs: 300 }, runner: { maxAttempts: 1 } });
    await setFaults(cloud().url, { rules: [{ target: 'cloudflare', route: '/workers/assets/upload', kind: 'delay', delayMs: 1000 }] });
    // 600 kB of random bytes: 800 kB as base64, about 3 s more at the assumed slowest rate.
    const big = { base64: Buffer.from(Array.from({ length: 600_000 }, () => Math.floor(Math.random() * 256))).toString('base64') };
    const row = await deployFiles(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': `<p>${Math.random()}</p>`, 'big.bin': big } },
      { settings: shortTimeouts },
    );
    expect([row.status, row.error]).toEqual(['ready', null]);
  }, 30_000);
});

describe('faults and crashes', () => {
  it('20 deployments reach ready through 20% of platform calls failing, with no duplicate Workers', async () => {
    const db = await getDb();
    await setFaults(cloud().url, {
      seed: 11,
      rules: [
        { target: 'cloudflare', kind: 'status', status: 429, retryAfter: 0, probability: 0.07 },
        { target: 'cloudflare', kind: 'status', status: 503, probability: 0.07 },
        { target: 'cloudflare', kind: 'drop', probability: 0.07 },
      ],
    });
    const chatId = chat();
    for (let i = 0; i < 20; i++) {
      const files = { 'index.html': `<h1>version ${i}</h1>`, 'about.html': `<p>${i}</p>` };
      const row = await deployFiles(db, { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', files }, { settings });
      expect([i, row.status, row.error]).toEqual([i, 'ready', null]);
      expect((await fetchSite(cloud().url, hostOf(row.url!), '/')).body.toString()).toBe(`<h1>version ${i}</h1>`);
    }
    const stats = await cloudStats(cloud().url);
    expect(Object.values(stats.faultsFired).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    await setFaults(cloud().url, { rules: [] });
    const [site] = await db.select().from(sites).where(eq(sites.chatId, chatId));
    const scripts = await fetch(`${cloud().url}/client/v4/accounts/${LOCAL_CLOUDFLARE.accountId}/workers/scripts`, {
      headers: { authorization: `Bearer ${LOCAL_CLOUDFLARE.platformToken}` },
    }).then((r) => r.json() as Promise<{ result: { id: string }[] }>);
    expect(scripts.result.filter((s) => s.id === site!.externalId)).toHaveLength(1);
  }, 120_000);

  it('files lost from the store (a backup restored): the deploy that needs them says so, and deploying again uploads them', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const page = (text: string) => hashed('index.html', `<h1>${text}</h1>`);
    const kept = [hashed('a.css', `a { color: teal } /* ${Math.random()} */`), hashed('b.js', `console.log(${Math.random()})`)];
    const bytesOf = (all: HashedFile[]) => (sha256: string) => all.find((f) => f.sha256 === sha256)?.bytes;
    // The product's client (src/lib/deploy-client.ts) on the service's own functions, each deployment driven
    // to its end; a refusal reaches it as a tRPC client error does (its code under `data`).
    const asTrpc = (err: AppError) => {
      throw Object.assign(err, { data: { code: err.code } });
    };
    const calls = (all: HashedFile[]): DeployCalls => ({
      negotiate: (request) => negotiateFiles(db, userId, request, { settings }),
      upload: async (missing) =>
        void (await store.putMany(
          userId,
          all.filter((f) => missing.includes(f.sha256)).map((f) => ({ sha256: f.sha256, bytes: Buffer.from(f.bytes) })),
        )),
      create: (request) => createFromNegotiated(db, { ...request, userId }, { settings, enqueue: () => {} }),
      createFromChanges: (request) => createFromChanges(db, { ...request, userId }, { settings, enqueue: () => {} }).catch(asTrpc),
    });
    const last = new Map();
    const deploy = async (files: HashedFile[], chatId: string) => {
      const manifest = Object.fromEntries(files.map((f) => [f.path, { sha256: f.sha256, size: f.bytes.length }]));
      const { deploymentId } = await deployManifest(manifest, { chatId, platform: 'cloudflare', authMode: 'platform-managed' }, calls(files), {
        last,
        bytesOf: bytesOf(files),
      });
      await driveDeployment(db, deploymentId, { settings });
      const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
      return row!;
    };
    const chatId = chat();
    const v1 = await deploy([page('one'), ...kept], chatId);
    expect(v1.status).toBe('ready');
    // The pack of the two kept files is lost from the store.
    const lost = (await store.locate(userId, [kept[0]!.sha256])).get(kept[0]!.sha256)!;
    await store.objects.delete(lost.object);

    // The same files to Amplify (whose zip reads every file): the runner cannot read them, and says what to do.
    const { deploymentId } = await createFromChanges(
      db,
      {
        userId,
        chatId: chat(),
        platform: 'amplify',
        authMode: 'platform-managed',
        base: v1.id,
        changes: { changed: { 'index.html': { sha256: page('two').sha256, size: page('two').bytes.length } }, removed: [] },
        manifestHash: await manifestHash(Object.fromEntries([page('two'), ...kept].map((f) => [f.path, { sha256: f.sha256, size: f.bytes.length }]))),
        files: { [page('two').sha256]: Buffer.from(page('two').bytes).toString('base64') },
      },
      { settings, enqueue: () => {} },
    );
    await driveDeployment(db, deploymentId, { settings });
    const [failed] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    expect([failed!.status, failed!.error]).toEqual(['error', expect.stringMatching(/^A file of this site is no longer stored on the server\. Deploy again/)]);

    // A delta negotiated against the first site asks for the lost files too.
    const three = [page('three'), ...kept];
    const answer = await negotiateFiles(
      db,
      userId,
      {
        platform: 'cloudflare',
        base: v1.id,
        changes: { changed: { 'index.html': { sha256: page('three').sha256, size: page('three').bytes.length } }, removed: [] },
        manifestHash: await manifestHash(Object.fromEntries(three.map((f) => [f.path, { sha256: f.sha256, size: f.bytes.length }]))),
      },
      { settings },
    );
    expect(answer.missing.sort()).toEqual(three.map((f) => f.sha256).sort());

    // Deploying the first site again (a one-file change, sent as a delta): the lost files are asked for and uploaded.
    const v3 = await deploy([page('three'), ...kept], chatId);
    expect([v3.status, v3.error]).toEqual(['ready', null]);
    for (const f of kept) expect((await store.get(userId, f.sha256)).equals(Buffer.from(f.bytes))).toBe(true);
    expect((await fetchSite(cloud().url, hostOf(v3.url!), '/')).body.toString()).toBe('<h1>three</h1>');
  });

  it('a deployment abandoned mid-way by a dead process is finished by another runner', async () => {
    const db = await getDb();
    const { proposed, bytes } = decodeInlineFiles({ 'index.html': '<h1>survivor</h1>' });
    await storeInlineFiles(new BlobStore(db), userId, bytes);
    const { deploymentId } = await createDeployment(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed },
      { settings },
    );
    // A runner takes the lease, records a step, and dies.
    expect(await claimLease(db, deploymentId, 'crashed-runner', 60_000)).not.toBeNull();
    await db.update(deployments).set({ step: 'upload', progress: 40 }).where(eq(deployments.id, deploymentId));
    expect(await driveDeployment(db, deploymentId, { owner: 'second-runner', settings })).toBe('skipped'); // lease still live
    // Its lease runs out (on the database's clock, which the lease rule reads).
    await db
      .update(deployments)
      .set({ leaseUntil: sql`now() - interval '1 second'` })
      .where(eq(deployments.id, deploymentId));
    expect(await driveDeployment(db, deploymentId, { owner: 'second-runner', settings })).toBe('worked');
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    expect([row!.status, row!.attempts]).toEqual(['ready', 2]);
    expect((await fetchSite(cloud().url, hostOf(row!.url!), '/')).body.toString()).toBe('<h1>survivor</h1>');
  });

  it('a platform that keeps failing ends the deployment in error with a readable message in our words', async () => {
    const db = await getDb();
    await setFaults(cloud().url, { rules: [{ target: 'cloudflare', route: 'assets-upload-session', kind: 'status', status: 500 }] });
    const row = await deployFiles(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': 'x' } },
      { settings: deploySettings(settings, { runner: { maxAttempts: 2 } }) },
    );
    expect(row.status).toBe('error');
    // A quick deploy's failure is told in our words: the shared account's own answer is for operators.
    expect(row.error).toBe('The hosting platform is having trouble right now. Deploy again in a few minutes.');
    expect(row.leaseOwner).toBeNull();
  });

  it('a deployment past its deadline ends in error ("Deployment timed out")', async () => {
    const db = await getDb();
    const { proposed, bytes } = decodeInlineFiles({ 'index.html': 'late' });
    await storeInlineFiles(new BlobStore(db), userId, bytes);
    const { deploymentId } = await createDeployment(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed },
      { settings },
    );
    await db
      .update(deployments)
      .set({ deadlineAt: new Date(Date.now() - 1000) })
      .where(eq(deployments.id, deploymentId));
    await driveDeployment(db, deploymentId, { settings });
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    expect([row!.status, row!.errorCode]).toEqual(['error', 'timeout']);
    expect(row!.error).toMatch(/^Deployment timed out/);
  });
  it('a deployment whose account was disconnected before it ran records its start, then an error that says to connect it, last', async () => {
    const db = await getDb();
    const owner = (await signUp(db, { email: uniqueEmail(), password: 'a long enough password' })).id;
    const connection = await saveConnection(db, {
      userId: owner,
      platform: 'cloudflare',
      credentials: { apiToken: LOCAL_CLOUDFLARE.userToken, accountId: LOCAL_CLOUDFLARE.userAccountId },
      hintOf: LOCAL_CLOUDFLARE.userToken,
      accountFacts: {},
    });
    const { proposed, bytes } = decodeInlineFiles({ 'index.html': `<p>disconnected ${Math.random()}</p>` });
    await storeInlineFiles(new BlobStore(db), owner, bytes);
    const { deploymentId } = await createDeployment(
      db,
      { userId: owner, chatId: chat(), platform: 'cloudflare', authMode: 'user-token', manifest: proposed },
      { settings },
    );
    await removeConnection(db, owner, connection.id);
    const before = await cloudStats(cloud().url);
    expect(await driveDeployment(db, deploymentId, { settings })).toBe('worked');
    const events = await db.select().from(deploymentEvents).where(eq(deploymentEvents.deploymentId, deploymentId)).orderBy(asc(deploymentEvents.id));
    expect(events.map((e) => [e.status, e.step])).toEqual([
      ['pending', 'queued'],
      ['building', 'started'],
      ['error', 'error'],
    ]);
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    // The user's to fix: said so, with where (the status answers 401 with the action "settings").
    expect([row!.status, row!.errorCode, row!.error]).toEqual([
      'error',
      'auth',
      'Your Cloudflare account is no longer connected. Connect it in Settings, then deploy again.',
    ]);
    expect(requestCount(await cloudStats(cloud().url), 'cloudflare')).toBe(requestCount(before, 'cloudflare'));
  });
});

describe('bad input is refused before any platform call', () => {
  it.each([
    ['path traversal', { 'index.html': 'x', '../../etc/passwd': 'x' }, /goes up a folder/],
    ['an absolute path', { 'index.html': 'x', '/etc/passwd': 'x' }, /is absolute/],
    ['no index.html', { 'dist/index.html': 'x' }, /your files are under dist\//],
    ['invalid base64', { 'index.html': 'x', 'a.png': { base64: '***' } }, /not valid base64/],
  ])('%s', async (_label, files, message) => {
    const db = await getDb();
    const before = await cloudStats(cloud().url);
    const chatId = chat();
    await expect(
      (async () => {
        const { proposed, bytes } = decodeInlineFiles(files);
        await storeInlineFiles(new BlobStore(db), userId, bytes);
        await createDeployment(db, { userId, chatId, platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed }, { settings });
      })(),
    ).rejects.toThrow(message);
    expect(await db.select().from(deployments).where(eq(deployments.chatId, chatId))).toEqual([]);
    const after = await cloudStats(cloud().url);
    expect(requestCount(after, 'cloudflare')).toBe(requestCount(before, 'cloudflare'));
  });

  it('a 26 MiB file for Cloudflare, 5,001 files and 51 MB are refused by the manifest check', async () => {
    const db = await getDb();
    const e = (size: number, i = 0) => ({ sha256: i.toString(16).padStart(64, '0'), size });
    const base = { 'index.html': e(10) };
    const run = (manifest: Record<string, { sha256: string; size: number }>) =>
      createDeployment(db, { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', manifest }, { settings });
    await expect(run({ ...base, 'v.mp4': e(26 * 1024 * 1024, 1) })).rejects.toThrow(/at most 25 MiB/);
    await expect(run({ ...base, ...Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, e(1, i + 2)])) })).rejects.toThrow(/5,001 files/);
    await expect(run({ ...base, a: e(25 * 1024 * 1024, 1), b: e(25 * 1024 * 1024, 2), c: e(1024 * 1024, 3) })).rejects.toThrow(
      /a deployment may be at most 50\.0 MB/,
    );
  });

  it('an account id that is not 32 hex characters never reaches a URL', async () => {
    const { CloudflareAssetsClient } = await import('../platforms/cloudflare/client');
    expect(() => new CloudflareAssetsClient(`${cloud().url}/client/v4`, { apiToken: 't', accountId: '../../user' })).toThrow(/32 hexadecimal characters/);
  });
});
