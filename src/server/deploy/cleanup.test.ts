// The lifecycle job against the local cloud and a real database, with the clock moved 31 days.
import '@/testing/isolated-db';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useLocalCloud } from '@/testing/local-cloud';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_CLOUDFLARE } from '@/lib/platforms/cloudflare/local';
import { LOCAL_NETLIFY } from '@/lib/platforms/netlify/local';
import { LOCAL_VERCEL } from '@/lib/platforms/vercel/local';
import { GET as cronCleanup } from '@/app/api/cron/cleanup/route';
import { signUp } from '@/server/auth/accounts';
import { saveConnection } from '@/server/connections/store';
import { auditLog, authAttempts, deployments, manifests, packs, proposedManifests, sessions, sites } from '@/server/db/schema';
import { openDb } from '@/server/db/client';
import { getEnv } from '@/server/env';
import { cloudStats, fetchSite, hostOf, requestCount, setFaults } from '@/testing/cloud';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { deployFiles } from '@/testing/deploy';
import { useDeploySettings } from '@/testing/deploy-settings';
import { APP_ORIGIN } from '@/testing/http';
import { markUsed } from './blob-catalog';
import { blobKey, newPackId, packKey, partKey, sha1Hex, sha256Hex } from './blob-keys';
import { collectOrphanParts } from './blob-chunks';
import { BlobStore } from './blob-store';
import { runCleanup } from './cleanup';
import { collectLeftoverObjects, collectPacks, type PackCollection } from './cleanup-blobs';
import { FsObjectStore } from '../storage/fs-store';
import { decodeInlineFiles } from './files';
import { deploySettings } from './settings';
import { keepProposedManifest } from './proposed-manifests';
import { storeManifest } from './manifest-store';
import { createProject, saveFile } from '../projects/service';
import { decodeEntries, encodeEntries } from './pack-index';
import { manifestHash } from '@/lib/manifest';
import { cloudflareSettings } from '../platforms/cloudflare/settings';

const cloud = useLocalCloud();
const getDb = useTestDb();
// Short retries and polls, lifted rate limits: for what the tests drive and the cron endpoint.
const { settings } = useDeploySettings({
  retries: { baseDelayMs: 5, maxDelayMs: 20, attempts: 2 },
  runner: { retryDelayMs: 50 },
  polling: { amplify: { intervalMs: 25 } },
  limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6 },
});

const DAY = 24 * 3600 * 1000;
const in31Days = () => new Date(Date.now() + 31 * DAY);
let userId: string;
beforeAll(async () => {
  userId = (await signUp(await getDb(), { email: uniqueEmail('life'), password: 'a long enough password' })).id;
});
beforeEach(() => setFaults(cloud().url, { rules: [] }));

const cf = (path: string, init: RequestInit = {}) =>
  fetch(`${cloud().url}/client/v4/accounts/${LOCAL_CLOUDFLARE.accountId}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${LOCAL_CLOUDFLARE.platformToken}`, ...init.headers },
  });
const deletes = async () => requestCount(await cloudStats(cloud().url), 'DELETE /client/v4/accounts/:account/workers/scripts/:script');
const chat = () => `life-${Math.random().toString(36).slice(2, 8)}`;

describe('expiry', () => {
  it('removes expired quick-deploy Workers, marks them expired, leaves the others, and frees quota', async () => {
    const db = await getDb();
    await saveConnection(db, {
      userId,
      platform: 'cloudflare',
      credentials: { apiToken: LOCAL_CLOUDFLARE.userToken, accountId: LOCAL_CLOUDFLARE.userAccountId },
      hintOf: 'x',
      accountFacts: {},
    });
    const twoOnCloudflare = deploySettings(settings, { limits: { platformQuota: { cloudflare: 2 } } });
    const old1 = await deployFiles(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': 'old 1' } },
      { settings: twoOnCloudflare },
    );
    const old2 = await deployFiles(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': 'old 2' } },
      { settings: twoOnCloudflare },
    );
    const mine = await deployFiles(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'user-token', files: { 'index.html': 'my own' } },
      { settings: twoOnCloudflare },
    );
    // The quota is full.
    await expect(
      deployFiles(
        db,
        { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': 'new' } },
        { settings: twoOnCloudflare },
      ),
    ).rejects.toThrow(/Platform deployment limit reached/);
    // One quick-deploy site was redeployed recently: it lives on past the 31 days.
    await db
      .update(sites)
      .set({ expiresAt: new Date(Date.now() + 60 * DAY) })
      .where(eq(sites.id, old2.siteId!));
    const before = await deletes();

    const report = await runCleanup(db, { now: in31Days(), settings });
    expect(report).toMatchObject({ expired: 1, failures: [] });
    expect((await deletes()) - before).toBe(1);
    expect((await fetchSite(cloud().url, hostOf(old1.url!), '/')).status).toBe(404);
    expect((await fetchSite(cloud().url, hostOf(old2.url!), '/')).body.toString()).toBe('old 2');
    expect((await fetchSite(cloud().url, hostOf(mine.url!), '/')).body.toString()).toBe('my own');
    const rows = await db
      .select()
      .from(sites)
      .where(inArray(sites.id, [old1.siteId!, old2.siteId!, mine.siteId!]));
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [old1.siteId!]: 'expired', [old2.siteId!]: 'active', [mine.siteId!]: 'active' });
    expect((await db.select().from(deployments).where(eq(deployments.id, old1.id)))[0]!.status).toBe('expired');
    expect(await db.select().from(auditLog).where(eq(auditLog.action, 'site.expire'))).toHaveLength(1);

    // The freed place takes a new quick deploy.
    const fresh = await deployFiles(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': 'new' } },
      { settings: twoOnCloudflare },
    );
    expect(fresh.status).toBe('ready');
  });

  it('leaves the row when the platform fails, and the next run finishes it', async () => {
    const db = await getDb();
    const site = await deployFiles(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': 'flaky' } },
      { settings },
    );
    await db
      .update(sites)
      .set({ expiresAt: new Date(Date.now() - DAY) })
      .where(eq(sites.id, site.siteId!));
    await setFaults(cloud().url, { rules: [{ target: 'cloudflare', method: 'DELETE', kind: 'status', status: 503 }] });
    const first = await runCleanup(db, { settings });
    expect(first.expired).toBe(0);
    expect(first.failures).toEqual([{ action: 'expire', target: site.externalId, reason: expect.stringMatching(/having trouble/) }]);
    expect((await db.select().from(sites).where(eq(sites.id, site.siteId!)))[0]!.status).toBe('active');
    await setFaults(cloud().url, { rules: [] });
    expect((await runCleanup(db, { settings })).expired).toBe(1);
    expect((await db.select().from(sites).where(eq(sites.id, site.siteId!)))[0]!.status).toBe('expired');
  });

  it('two runs at once delete each Worker once', async () => {
    const db = await getDb();
    const made = [];
    for (let i = 0; i < 4; i++)
      made.push(
        await deployFiles(
          db,
          { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': `twin ${i}` } },
          { settings },
        ),
      );
    await db
      .update(sites)
      .set({ expiresAt: new Date(Date.now() - DAY) })
      .where(
        inArray(
          sites.id,
          made.map((m) => m.siteId!),
        ),
      );
    const before = await deletes();
    const [a, b] = await Promise.all([runCleanup(db, { settings }), runCleanup(db, { settings })]);
    expect(a.expired + b.expired).toBe(4);
    expect((await deletes()) - before).toBe(4);
  });
});

describe('orphans, stuck deployments and blobs', () => {
  it('removes an orphan Worker with the prefix, never a Worker without it', async () => {
    const db = await getDb();
    const prefix = cloudflareSettings().workerName;
    // Workers made directly on the platform: one looks like ours (a crash before it was recorded), one is not ours.
    const other = await deployFiles(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': 'owned' } },
      { settings },
    );
    for (const name of [`${prefix}-0123456789ab`, 'someone-elses-worker']) {
      const form = new FormData();
      const session = await (
        await cf(`/workers/scripts/${name}/assets-upload-session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ manifest: {} }),
        })
      ).json();
      form.append('metadata', new Blob([JSON.stringify({ assets: { jwt: session.result.jwt } })], { type: 'application/json' }), 'metadata.json');
      expect((await cf(`/workers/scripts/${name}`, { method: 'PUT', body: form })).status).toBe(200);
    }
    const report = await runCleanup(db, { settings });
    expect(report.orphansRemoved).toBe(1);
    const names = ((await (await cf('/workers/scripts')).json()).result as { id: string }[]).map((s) => s.id);
    expect(names).not.toContain(`${prefix}-0123456789ab`);
    expect(names).toContain('someone-elses-worker');
    expect(names).toContain(other.externalId);
  });

  it('fails a deployment stuck past its deadline with no live runner', async () => {
    const db = await getDb();
    const { proposed, bytes } = decodeInlineFiles({ 'index.html': 'stuck' });
    const store = new BlobStore(db);
    for (const [sha, b] of bytes) await store.put(userId, sha, b);
    const { createDeployment } = await import('@/testing/deploy');
    const { deploymentId } = await createDeployment(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed },
      { settings },
    );
    await db
      .update(deployments)
      .set({ status: 'building', deadlineAt: new Date(Date.now() - 1000) })
      .where(eq(deployments.id, deploymentId));
    expect((await runCleanup(db, { settings })).reconciled).toBeGreaterThanOrEqual(1);
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    expect([row!.status, row!.errorCode]).toEqual(['error', 'timeout']);
  });

  it('collects packs nothing refers to after a day, and keeps those of deployments', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const kept = await deployFiles(
      db,
      {
        userId,
        chatId: chat(),
        platform: 'cloudflare',
        authMode: 'platform-managed',
        files: { 'index.html': 'kept', 'a.css': 'a{}' },
      },
      { settings },
    );
    const loose = Buffer.from(`never deployed ${Math.random()}`);
    await store.put(userId, sha256Hex(loose), loose);
    const looseAt = (await store.locate(userId, [sha256Hex(loose)])).get(sha256Hex(loose))!;
    const { proposed: deployed } = decodeInlineFiles({ 'index.html': 'kept', 'a.css': 'a{}' });
    const keptPacks = [...(await store.locate(userId, [deployed['index.html']!.sha256, deployed['a.css']!.sha256])).values()].map((l) => l.pack);
    // A day old, every pack: the one holding only what no deployment names goes, row and object.
    await db.update(packs).set({ createdAt: new Date(Date.now() - 2 * DAY) });
    const report = await runCleanup(db, { settings });
    expect(report.blobsDeleted).toBeGreaterThanOrEqual(1);
    expect(report.heldReleased).toBeGreaterThanOrEqual(1);
    expect(await db.select().from(packs).where(eq(packs.id, looseAt.pack))).toEqual([]);
    expect(await store.objects.size(looseAt.object)).toBeNull();
    expect(await store.missing(userId, [sha256Hex(loose)])).toEqual([sha256Hex(loose)]);
    expect(await db.select({ id: packs.id }).from(packs).where(inArray(packs.id, keptPacks))).toHaveLength(new Set(keptPacks).size);
    // A redeploy after GC still uploads only what changed.
    const { proposed } = decodeInlineFiles({ 'index.html': 'kept', 'a.css': 'a{color:red}' });
    const missing = await store.missing(
      userId,
      Object.values(proposed).map((e) => e.sha256),
    );
    expect(missing).toEqual([proposed['a.css']!.sha256]);
    expect(kept.status).toBe('ready');
  });

  it('removes a pack once none of its files is referred to, keeps a pack with a live file, and removes leftover objects after a day', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    // All four the same size: the live pack is half live, which keeps it whole.
    const bytes = (tag: string) => Buffer.from(`${tag} ${randomBytes(8).toString('hex')} `.repeat(50));
    const asFiles = (...b: Buffer[]) => b.map((x) => ({ sha256: sha256Hex(x), bytes: x }));
    const [goneA, goneB, liveA, liveB] = [bytes('gone a'), bytes('gone b'), bytes('live a'), bytes('live b')];
    await store.putMany(userId, asFiles(goneA, goneB));
    await store.putMany(userId, asFiles(liveA, liveB));
    const packOf = async (b: Buffer) => (await store.locate(userId, [sha256Hex(b)])).get(sha256Hex(b))!.pack;
    const [gonePack, livePack] = [await packOf(goneA), await packOf(liveA)];
    expect(gonePack).not.toBe(livePack);
    // liveA is deployed (referred to); the rest is loose and a day old.
    await deployFiles(
      db,
      { userId, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': liveA.toString() } },
      { settings },
    );
    // An upload cut short after its object was stored: a pack no row names, one from two days ago, one
    // fresh; and an older install's own objects, one a row names and one nobody does any more.
    const leftoverOld = newPackId(Date.now() - 2 * DAY);
    const leftoverNew = newPackId();
    for (const p of [leftoverOld, leftoverNew]) await store.objects.put(packKey(p), Buffer.from('orphan'));
    const [legacyHeld, legacyLoose] = [Buffer.from(`legacy held ${Math.random()}`), Buffer.from(`legacy loose ${Math.random()}`)];
    for (const b of [legacyHeld, legacyLoose]) await store.objects.put(blobKey(sha256Hex(b)), b);
    await db.update(packs).set({ createdAt: new Date(Date.now() - 2 * DAY) });
    // Recorded as 0015 converts an older install's rows (used lately: no age of its own to collect it by).
    const legacyEntries = encodeEntries([{ sha256: sha256Hex(legacyHeld), sha1: '', offset: 0, size: legacyHeld.length }]).toString('hex');
    await db.execute(
      sql`insert into packs (id, user_id, object, entries, bytes) values (${newPackId()}, ${userId}, ${blobKey(sha256Hex(legacyHeld))}, decode(${legacyEntries}, 'hex'), ${legacyHeld.length})`,
    );

    const report = await runCleanup(db, { settings });
    expect(await db.select().from(packs).where(eq(packs.id, gonePack))).toEqual([]);
    expect(await store.objects.size(packKey(gonePack))).toBeNull();
    expect(await store.missing(userId, [sha256Hex(goneA), sha256Hex(goneB)])).toEqual([sha256Hex(goneA), sha256Hex(goneB)]);
    // The live pack stays as it was: its loose file too, half of its bytes.
    expect(await store.objects.size(packKey(livePack))).toBe(liveA.length + liveB.length);
    const live = await store.locate(userId, [sha256Hex(liveA), sha256Hex(liveB)]);
    expect([live.get(sha256Hex(liveA))?.pack, live.get(sha256Hex(liveB))?.pack]).toEqual([livePack, livePack]);
    expect((await store.get(userId, sha256Hex(liveA))).equals(liveA)).toBe(true);
    expect(await store.objects.size(packKey(leftoverOld))).toBeNull();
    expect(await store.objects.size(packKey(leftoverNew))).toBe(6);
    expect(await store.objects.size(blobKey(sha256Hex(legacyLoose)))).toBeNull();
    expect((await store.get(userId, sha256Hex(legacyHeld))).equals(legacyHeld)).toBe(true);
    expect(report.packsDeleted).toBeGreaterThanOrEqual(2);
  });

  it('deletes part objects no row names once a day old (a crash between bytes and row), never a part of an upload under way', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const owner = (await signUp(db, { email: uniqueEmail('parts'), password: 'a long enough password' })).id;
    const file = randomBytes(3000);
    const hash = sha256Hex(file);
    // An upload under way: its first part has a row.
    await store.putChunk(owner, hash, 0, file.length, file.subarray(0, 1000));
    // A part whose process stopped before its row, and a key under parts/ that is not one of ours.
    const orphan = partKey(owner, sha256Hex(randomBytes(8)), 0);
    await store.objects.put(orphan, Buffer.from('orphaned part'));
    await store.objects.put('parts/stray', Buffer.from('not a part'));
    // A day from now, everything written today is a day old.
    const inADay = Date.now() + 2 * DAY;
    expect(await collectOrphanParts(store, inADay - DAY)).toBeGreaterThanOrEqual(1);
    expect(await store.objects.size(orphan)).toBeNull();
    expect(await store.objects.size('parts/stray')).toBe(10);
    expect(await store.objects.size(partKey(owner, hash, 0))).toBe(1000);
    // Written now, it is not taken whatever its row: a part being sent.
    await store.objects.put(orphan, Buffer.from('being sent'));
    await collectOrphanParts(store, Date.now() - DAY);
    expect(await store.objects.size(orphan)).toBe(10);
    await store.objects.delete(orphan);
    await store.objects.delete('parts/stray');
    expect((await store.putChunk(owner, hash, 1000, file.length, file.subarray(1000))).complete).toBe(true);
    expect((await store.get(owner, hash)).equals(file)).toBe(true);
  });

  it('deletes leftovers as it lists them, a thousand at a time, not after listing the whole store', async () => {
    const db = await getDb();
    // A store of 2,500 leftover packs two days old, listed one by one (as S3 pages them).
    const keys = Array.from({ length: 2500 }, () => packKey(newPackId(Date.now() - 2 * DAY)));
    let listed = 0;
    const listedAtDeletes: number[] = [];
    const objects = new Proxy(new FsObjectStore(path.join(os.tmpdir(), 'huskit-never-written')), {
      get(target, prop, receiver) {
        if (prop === 'list')
          return async function* (prefix: string) {
            if (prefix === 'packs/') for (const key of keys) yield (listed++, key);
          };
        if (prop === 'delete') return async () => void listedAtDeletes.push(listed);
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    expect(await collectLeftoverObjects(db, new Date(), objects)).toBe(2500);
    // The first thousand went before the rest was listed.
    expect(listedAtDeletes[0]).toBe(1000);
    expect(listedAtDeletes.at(-1)).toBe(2500);
  });

  it('leaves a listed key it could not have written (a stray file, an S3 folder marker) and collects the rest', async () => {
    const db = await getDb();
    // A folder store of its own, as a hand-copied stray file would be in production's.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huskit-stray-'));
    try {
      const objects = new FsObjectStore(dir);
      const loose = Buffer.from(`loose ${Math.random()}`);
      await objects.put(blobKey(sha256Hex(loose)), loose);
      mkdirSync(path.join(dir, 'blobs/ab'), { recursive: true });
      writeFileSync(path.join(dir, 'blobs/ab/stray copy.txt'), 'not ours');
      expect(await collectLeftoverObjects(db, new Date(), objects)).toBe(1);
      expect(await objects.size(blobKey(sha256Hex(loose)))).toBeNull();
      expect(readFileSync(path.join(dir, 'blobs/ab/stray copy.txt'), 'utf8')).toBe('not ours');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a pack mostly of files nothing refers to again with only its live ones, which are still served', async () => {
    const db = await getDb();
    // A user of its own: what the cleanup releases and frees is this test's alone.
    const owner = (await signUp(db, { email: uniqueEmail('repack'), password: 'a long enough password' })).id;
    const store = new BlobStore(db);
    // Four files of one size in one pack, one of them deployed: a quarter of its bytes live.
    const page = (n: number) => Buffer.from(`<p>${n} ${randomBytes(8).toString('hex')}</p>`.repeat(40));
    const [live, ...dead] = [page(0), page(1), page(2), page(3)];
    const all = [live, ...dead].map((b) => sha256Hex(b));
    await store.putMany(
      owner,
      [live, ...dead].map((b) => ({ sha256: sha256Hex(b), bytes: b })),
    );
    const before = (await store.locate(owner, all)).get(sha256Hex(live))!;
    expect(before.files).toBe(4);
    await deployFiles(
      db,
      { userId: owner, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': live.toString() } },
      { settings },
    );
    const size = live.length;
    expect(await store.storageUsed(owner)).toBe(4 * size);
    await db
      .update(packs)
      .set({ createdAt: new Date(Date.now() - 2 * DAY) })
      .where(eq(packs.userId, owner));

    const report = await runCleanup(db, { settings });
    expect(report.heldReleased).toBeGreaterThanOrEqual(3);
    expect(report.blobsDeleted).toBeGreaterThanOrEqual(1);
    // The old row and object are gone; a new pack holds the live file alone, from its start.
    expect(await db.select().from(packs).where(eq(packs.id, before.pack))).toEqual([]);
    expect(await store.objects.size(before.object)).toBeNull();
    const rows = await db.select().from(packs).where(eq(packs.userId, owner));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).not.toBe(before.pack);
    expect(rows[0]!.object).toBe(packKey(rows[0]!.id));
    expect(rows[0]!.bytes).toBe(size);
    expect(decodeEntries(rows[0]!.entries)).toEqual([{ sha256: sha256Hex(live), sha1: sha1Hex(live), offset: 0, size }]);
    expect(await store.objects.size(rows[0]!.object)).toBe(size);
    expect((await store.get(owner, sha256Hex(live))).equals(live)).toBe(true);
    // The dead files are no longer the user's (nor in their quota); the live one needs no upload again.
    expect(await store.missing(owner, all)).toEqual(all.slice(1));
    expect(await store.storageUsed(owner)).toBe(size);
  });

  it('keeps every pack of a user whose deployed files cannot be read (a manifest changed by hand)', async () => {
    const db = await getDb();
    const owner = (await signUp(db, { email: uniqueEmail('unreadable'), password: 'a long enough password' })).id;
    const store = new BlobStore(db);
    const [live, loose] = [Buffer.from(`<p>live ${Math.random()}</p>`), Buffer.from(`loose ${Math.random()}`)];
    await store.putMany(owner, [{ sha256: sha256Hex(loose), bytes: loose }]);
    const deployed = await deployFiles(
      db,
      { userId: owner, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': live.toString() } },
      { settings },
    );
    // The deployment names a manifest this process never read, whose lines do not hash to its name.
    const forged = sha256Hex(Buffer.from(`forged ${Math.random()}`));
    const object = `manifests/${newPackId()}`;
    await store.objects.put(object, Buffer.from(`${sha256Hex(loose)}\t${loose.length}\tindex.html\n`));
    await db.insert(manifests).values({ hash: forged, object });
    await db.update(deployments).set({ manifestHash: forged }).where(eq(deployments.id, deployed.id));
    await db
      .update(packs)
      .set({ createdAt: new Date(Date.now() - 2 * DAY) })
      .where(eq(packs.userId, owner));
    const before = await db.select({ id: packs.id }).from(packs).where(eq(packs.userId, owner));
    expect(before).toHaveLength(2);

    await collectPacks(db, new Date());
    // Nothing of theirs is removed, not even the file no deployment names: their live files are unknown.
    expect((await db.select({ id: packs.id }).from(packs).where(eq(packs.userId, owner))).map((r) => r.id).sort()).toEqual(before.map((r) => r.id).sort());
    expect((await store.get(owner, sha256Hex(loose))).equals(loose)).toBe(true);
  });

  it('forgets sign-in attempts older than a day (every throttle window is shorter), keeping recent ones', async () => {
    const db = await getDb();
    const [old, recent] = [`sign-in:account:old-${Math.random()}`, `sign-in:account:recent-${Math.random()}`];
    await db.insert(authAttempts).values([{ key: old, createdAt: new Date(Date.now() - 2 * DAY) }, { key: recent }]);
    const report = await runCleanup(db, { settings });
    expect(report.authAttemptsDeleted).toBeGreaterThanOrEqual(1);
    expect(await db.select().from(authAttempts).where(eq(authAttempts.key, old))).toEqual([]);
    expect(await db.select().from(authAttempts).where(eq(authAttempts.key, recent))).toHaveLength(1);
  });

  it('removes sessions past their expiry and keeps live ones', async () => {
    const db = await getDb();
    const [expired, live] = [`expired-${Math.random()}`, `live-${Math.random()}`];
    await db.insert(sessions).values([
      { userId, tokenHash: expired, expiresAt: new Date(Date.now() - 1000) },
      { userId, tokenHash: live, expiresAt: new Date(Date.now() + DAY) },
    ]);
    const report = await runCleanup(db, { settings });
    expect(report.sessionsDeleted).toBeGreaterThanOrEqual(1);
    expect(await db.select().from(sessions).where(eq(sessions.tokenHash, expired))).toEqual([]);
    expect(await db.select().from(sessions).where(eq(sessions.tokenHash, live))).toHaveLength(1);
  });
});

describe('negotiated manifests', () => {
  it("removes every user's manifests past their hour and keeps live ones", async () => {
    const db = await getDb();
    const files = { 'index.html': { sha256: sha256Hex(Buffer.from('negotiated')), size: 10 } };
    // In this order: keeping one drops the user's manifests already expired at that moment.
    const live = await keepProposedManifest(db, userId, { hash: await manifestHash(files), files, platform: 'cloudflare' });
    const expired = await keepProposedManifest(
      db,
      userId,
      { hash: await manifestHash(files), files, platform: 'cloudflare' },
      new Date(Date.now() - 2 * 3600 * 1000),
    );
    const report = await runCleanup(db, { settings });
    expect(report.manifestsDeleted).toBeGreaterThanOrEqual(1);
    const left = await db
      .select({ id: proposedManifests.id })
      .from(proposedManifests)
      .where(inArray(proposedManifests.id, [expired, live]));
    expect(left.map((r) => r.id)).toEqual([live]);
  });
});

describe('the stored manifests of proposals', () => {
  const manifestOf = (n: number) => ({ 'index.html': { sha256: sha256Hex(Buffer.from(`proposed ${n} ${Math.random()}`)), size: 10 } });
  const stored = async (hash: string) => (await (await getDb()).select({ hash: manifests.hash }).from(manifests).where(eq(manifests.hash, hash))).length;

  it('go with the last proposal that names them, unless a deployment names them: negotiating keeps a bounded number', async () => {
    const db = await getDb();
    const user = await signUp(db, { email: uniqueEmail('proposer'), password: 'a long enough password' });
    const start = Date.now() - 60_000;
    const hashes: string[] = [];
    for (let i = 0; i < 101; i++) {
      const files = manifestOf(i);
      hashes.push(await manifestHash(files));
      await keepProposedManifest(db, user.id, { hash: hashes[i]!, files, platform: 'cloudflare' }, new Date(start + i * 100));
    }
    // The 101st dropped the oldest proposal, and with it the manifest nothing else named.
    expect(await stored(hashes[0]!)).toBe(0);
    expect(await stored(hashes[1]!)).toBe(1);
    expect(await stored(hashes[100]!)).toBe(1);
    // A manifest a deployment names stays when its proposals go (here: they expire).
    const files = { 'index.html': 'deployed once' };
    const deployed = await deployFiles(db, { userId: user.id, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', files }, { settings });
    const [row] = await db.select({ manifestHash: deployments.manifestHash }).from(deployments).where(eq(deployments.id, deployed.id));
    const { proposed } = decodeInlineFiles(files);
    await keepProposedManifest(db, user.id, { hash: row!.manifestHash!, files: proposed, platform: 'cloudflare' }, new Date(Date.now() - 2 * 3600 * 1000));
    const lone = manifestOf(200);
    const loneHash = await manifestHash(lone);
    await keepProposedManifest(db, user.id, { hash: loneHash, files: lone, platform: 'cloudflare' }, new Date(Date.now() - 2 * 3600 * 1000));
    await runCleanup(db, { settings });
    expect(await stored(row!.manifestHash!)).toBe(1);
    expect(await stored(loneHash)).toBe(0);
  });
});

/**
 * Two connections at once, so PostgreSQL through Neon's driver even on the PGlite run (which has one):
 * a database of the test's own on the machine's server.
 */
async function withOwnDatabase(work: (db: Awaited<ReturnType<typeof openDb>>['db']) => Promise<void>): Promise<void> {
  const base = new URL(getEnv().databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const name = `race_${Math.random().toString(36).slice(2, 10)}`;
  execFileSync('psql', [admin.toString(), '-qc', `CREATE DATABASE "${name}"`]);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await openDb({ databaseUrl: url.toString(), migrate: true });
  try {
    await work(handle.db);
  } finally {
    await handle.close();
    execFileSync('psql', [admin.toString(), '-qc', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]);
  }
}

/** Until a statement holding `text` waits on a row lock. */
async function waitingOnLock(db: Awaited<ReturnType<typeof openDb>>['db'], text: string): Promise<void> {
  for (;;) {
    const { rows } = (await db.execute(
      sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like ${`%${text}%`}`,
    )) as unknown as { rows: unknown[] };
    if (rows.length > 0) return;
    await new Promise((r) => setImmediate(r));
  }
}

describe('a pack used while the cleanup waits for it', () => {
  it('is kept: the age is checked again on the row the delete waited for', async () => {
    await withOwnDatabase(async (db) => {
      const owner = (await signUp(db, { email: uniqueEmail('race'), password: 'a long enough password' })).id;
      const store = new BlobStore(db);
      // Two packs of files no deployment names, two days old: the one a deployment uses meanwhile stays,
      // the other shows the cleanup would have removed it.
      const [touched, untouched] = [Buffer.from('touched while collected'), Buffer.from('left alone while collected')];
      for (const b of [touched, untouched]) await store.put(owner, sha256Hex(b), b);
      const where = await store.locate(owner, [sha256Hex(touched), sha256Hex(untouched)]);
      const [touchedAt, untouchedAt] = [where.get(sha256Hex(touched))!, where.get(sha256Hex(untouched))!];
      await db.update(packs).set({ createdAt: new Date(Date.now() - 2 * DAY) });
      let collecting: Promise<PackCollection> | undefined;
      let present = 0;
      await db.transaction(async (tx) => {
        // A deployment being created marks the pack it uses (as `insertDeployment` does) and holds the
        // row's lock while the cleanup starts.
        present = await markUsed(tx, owner, [sha256Hex(touched)], new Date());
        collecting = collectPacks(db, new Date());
        collecting.catch(() => {});
        // Until the cleanup's delete waits on that row's lock.
        await waitingOnLock(db, 'delete from "packs"');
      });
      expect(present).toBe(1);
      expect(await collecting).toEqual({ released: 1, packsRemoved: 1 });
      const [row] = await db.select().from(packs).where(eq(packs.id, touchedAt.pack));
      expect(row!.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(await store.objects.size(touchedAt.object)).toBe(touched.length);
      expect((await store.get(owner, sha256Hex(touched))).equals(touched)).toBe(true);
      expect(await db.select().from(packs).where(eq(packs.id, untouchedAt.pack))).toEqual([]);
      expect(await store.objects.size(untouchedAt.object)).toBeNull();
    });
  });

  it('goes through the users whose packs it saw longest ago first, so a run cut short is continued by the next', async () => {
    await withOwnDatabase(async (db) => {
      // The first user's pack is the oldest but live (a project's file): it stays, run after run.
      const first = (await signUp(db, { email: uniqueEmail('turn-first'), password: 'a long enough password' })).id;
      const project = await createProject(db, first, { name: 'kept' });
      await saveFile(db, first, project.id, 'index.html', Buffer.from(`<p>kept ${Math.random()}</p>`));
      await db.update(packs).set({ createdAt: new Date(Date.now() - 3 * DAY) });
      // The second user's pack is younger, and nothing names it.
      const second = (await signUp(db, { email: uniqueEmail('turn-second'), password: 'a long enough password' })).id;
      const loose = Buffer.from(`never deployed ${Math.random()}`);
      await new BlobStore(db).put(second, sha256Hex(loose), loose);
      await db
        .update(packs)
        .set({ createdAt: new Date(Date.now() - 2 * DAY) })
        .where(eq(packs.userId, second));
      // No time at all: each run goes through one user. The second run is the other user's turn.
      await collectPacks(db, new Date(), 0);
      await collectPacks(db, new Date(), 0);
      expect((await db.select({ userId: packs.userId }).from(packs)).map((r) => r.userId)).toEqual([first]);
    });
  });

  it('leaves a pack it cannot read (its object lost) as it is, and goes on with the others', async () => {
    await withOwnDatabase(async (db) => {
      const store = new BlobStore(db);
      const owner = (await signUp(db, { email: uniqueEmail('lost'), password: 'a long enough password' })).id;
      const project = await createProject(db, owner, { name: 'lost' });
      // A pack of four files, one a project's (a quarter live: written again), whose object is lost.
      const files = [0, 1, 2, 3].map((n) => Buffer.from(`<p>${n} ${Math.random()}</p>`.repeat(20)));
      await store.putMany(
        owner,
        files.map((b) => ({ sha256: sha256Hex(b), bytes: b })),
      );
      await saveFile(db, owner, project.id, 'index.html', files[0]!);
      const lost = (await store.locate(owner, [sha256Hex(files[0]!)])).get(sha256Hex(files[0]!))!;
      await store.objects.delete(lost.object);
      // And a pack nothing names, of another user.
      const other = (await signUp(db, { email: uniqueEmail('other'), password: 'a long enough password' })).id;
      const loose = Buffer.from(`loose ${Math.random()}`);
      await store.put(other, sha256Hex(loose), loose);
      await db.update(packs).set({ createdAt: new Date(Date.now() - 2 * DAY) });

      expect(await collectPacks(db, new Date())).toEqual({ released: 1, packsRemoved: 1 });
      expect((await db.select({ userId: packs.userId }).from(packs)).map((r) => r.userId)).toEqual([owner]);
    });
  });

  it('removed between the lookup and the mark of a store outside a transaction (a project save), is not counted held: the bytes are stored again', async () => {
    await withOwnDatabase(async (db) => {
      const owner = (await signUp(db, { email: uniqueEmail('save-race'), password: 'a long enough password' })).id;
      const store = new BlobStore(db);
      const bytes = Buffer.from(`saved again while collected ${Math.random()}`);
      await store.put(owner, sha256Hex(bytes), bytes);
      const old = (await store.locate(owner, [sha256Hex(bytes)])).get(sha256Hex(bytes))!;
      await db.update(packs).set({ createdAt: new Date(Date.now() - 2 * DAY) });
      // The cleanup's removal of an unused pack (its age checked on the row, as collectPacks does), run
      // right after the statement that locks the packs found: outside a transaction that lock ends with it.
      const dialect = new PgDialect();
      let raced = false;
      const racing = new Proxy(db, {
        get(target, prop, receiver) {
          if (prop !== 'execute') return Reflect.get(target, prop, receiver) as unknown;
          return async (query: SQL) => {
            const result = await target.execute(query);
            if (!raced && dialect.sqlToQuery(query).sql.includes('for key share')) {
              raced = true;
              const gone = await target
                .delete(packs)
                .where(and(eq(packs.id, old.pack), sql`${packs.createdAt} < ${new Date(Date.now() - DAY)}`))
                .returning({ object: packs.object });
              for (const g of gone) await store.objects.delete(g.object);
            }
            return result;
          };
        },
      });
      await new BlobStore(racing).put(owner, sha256Hex(bytes), bytes);
      expect(raced).toBe(true);
      // Held, whether the pack was kept (marked in time) or the bytes stored again.
      expect((await store.get(owner, sha256Hex(bytes))).equals(bytes)).toBe(true);
    });
  });

  it("whose object is lost, in an install of that one pack, is asked for again: the deployments' manifests say the store is this database's", async () => {
    await withOwnDatabase(async (db) => {
      const owner = (await signUp(db, { email: uniqueEmail('one-pack'), password: 'a long enough password' })).id;
      const store = new BlobStore(db);
      const bytes = Buffer.from(`the only pack ${Math.random()}`);
      await store.put(owner, sha256Hex(bytes), bytes);
      // A deployment's manifest, an object of its own in the same store.
      await storeManifest(db, { 'index.html': { sha256: sha256Hex(bytes), size: bytes.length } });
      const at = (await store.locate(owner, [sha256Hex(bytes)])).get(sha256Hex(bytes))!;
      await store.objects.delete(at.object);
      await expect(store.get(owner, sha256Hex(bytes))).rejects.toThrow(/is not stored\. Upload it again/);
      expect(await store.missing(owner, [sha256Hex(bytes)])).toEqual([sha256Hex(bytes)]);
    });
  });

  it('is counted by two creates marking it at the same moment: both go on', async () => {
    await withOwnDatabase(async (db) => {
      const owner = (await signUp(db, { email: uniqueEmail('twice'), password: 'a long enough password' })).id;
      const bytes = Buffer.from(`deployed twice at once ${Math.random()}`);
      await new BlobStore(db).put(owner, sha256Hex(bytes), bytes);
      await db.update(packs).set({ createdAt: new Date(Date.now() - 2 * DAY) });
      let second: Promise<number> | undefined;
      let first = 0;
      await db.transaction(async (tx) => {
        // The first create marks the pack and holds the row; the second marks it meanwhile and waits.
        first = await markUsed(tx, owner, [sha256Hex(bytes)], new Date());
        second = db.transaction((other) => markUsed(other, owner, [sha256Hex(bytes)], new Date()));
        second.catch(() => {});
        await waitingOnLock(db, 'update packs');
      });
      // Neither is told the file was removed from storage.
      expect([first, await second]).toEqual([1, 1]);
    });
  });
});

describe('the cron endpoint', () => {
  const call = (authorization?: string) => cronCleanup(new Request(`${APP_ORIGIN}/api/cron/cleanup`, { headers: authorization ? { authorization } : {} }));

  it('answers 401 and does nothing without the right bearer; runs with it', async () => {
    const db = await getDb();
    const runs = async () => (await db.select().from(auditLog).where(eq(auditLog.action, 'cleanup.run'))).length;
    const before = await runs();
    expect((await call()).status).toBe(401);
    expect((await call('Bearer wrong')).status).toBe(401);
    expect((await call(`Bearer ${getEnv().cronSecret}x`)).status).toBe(401);
    expect(await runs()).toBe(before);
    const ok = await call(`Bearer ${getEnv().cronSecret}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ expired: expect.any(Number), failures: [], remaining: { expired: 0 } });
    expect(await runs()).toBe(before + 1);
  });
});

describe('Amplify branches', () => {
  it('expires a quick-deploy branch and removes an orphan hs- branch, never another branch', async () => {
    const { AwsClient } = await import('aws4fetch');
    const { LOCAL_AWS } = await import('@/lib/platforms/amplify/local');
    const db = await getDb();
    const site = await deployFiles(
      db,
      { userId, chatId: chat(), platform: 'amplify', authMode: 'platform-managed', files: { 'index.html': 'branch' } },
      { settings },
    );
    expect(site.status).toBe('ready');
    const aws = new AwsClient({ ...LOCAL_AWS.platform, service: 'amplify', region: LOCAL_AWS.region, retries: 0 });
    const app = `${cloud().url}/apps/${LOCAL_AWS.platformAppId}`;
    for (const branchName of ['hs-crashed-before-recorded', 'staging'])
      await aws.fetch(`${app}/branches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ branchName }) });
    await db
      .update(sites)
      .set({ expiresAt: new Date(Date.now() - DAY) })
      .where(eq(sites.id, site.siteId!));

    const report = await runCleanup(db, { settings });
    expect(report.failures).toEqual([]);
    expect(report.expired).toBeGreaterThanOrEqual(1);
    expect((await fetchSite(cloud().url, hostOf(site.url!), '/')).status).toBe(404);
    const branches = ((await (await aws.fetch(`${app}/branches?maxResults=50`)).json()) as { branches: { branchName: string }[] }).branches.map(
      (b) => b.branchName,
    );
    expect(branches).not.toContain(site.externalId);
    expect(branches).not.toContain('hs-crashed-before-recorded');
    expect(branches).toContain('staging');
    expect(requestCount(await cloudStats(cloud().url), 'DELETE /apps/:appId/branches/:branchName')).toBe(2);
  });
});

describe('unfinished Amplify jobs', () => {
  it('stops the job of a deployment given up past its deadline, so the branch is not blocked', async () => {
    const { AwsClient } = await import('aws4fetch');
    const { LOCAL_AWS } = await import('@/lib/platforms/amplify/local');
    const { createDeployment } = await import('@/testing/deploy');
    const db = await getDb();
    const aws = new AwsClient({ ...LOCAL_AWS.platform, service: 'amplify', region: LOCAL_AWS.region, retries: 0 });
    const app = `${cloud().url}/apps/${LOCAL_AWS.platformAppId}`;
    const branch = 'hs-stuck-job-0123456789ab';
    await aws.fetch(`${app}/branches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ branchName: branch }) });
    const job = (await (
      await aws.fetch(`${app}/branches/${branch}/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    ).json()) as { jobId: string };

    const { proposed, bytes } = decodeInlineFiles({ 'index.html': 'stuck on amplify' });
    const store = new BlobStore(db);
    for (const [sha, b] of bytes) await store.put(userId, sha, b);
    const { deploymentId } = await createDeployment(
      db,
      { userId, chatId: chat(), platform: 'amplify', authMode: 'platform-managed', manifest: proposed },
      { settings },
    );
    await db
      .update(deployments)
      .set({
        status: 'building',
        deadlineAt: new Date(Date.now() - 1000),
        checkpoint: { appId: LOCAL_AWS.platformAppId, branch, jobId: job.jobId, started: true },
      })
      .where(eq(deployments.id, deploymentId));

    const stops = async () => requestCount(await cloudStats(cloud().url), 'DELETE /apps/:appId/branches/:branchName/jobs/:jobId/stop', 200);
    const before = await stops();
    const report = await runCleanup(db, { settings });
    expect(report.failures).toEqual([]);
    // The job was stopped (and the branch, which no site owns, went with the orphans).
    expect((await stops()) - before).toBe(1);
    expect((await db.select().from(deployments).where(eq(deployments.id, deploymentId)))[0]!.status).toBe('error');
  });
});

describe('Netlify sites and Vercel projects', () => {
  const platforms = {
    netlify: {
      /** Makes a site straight on the platform (as a crash before it was recorded would leave it). */
      create: (name: string) =>
        fetch(`${cloud().url}/api/v1/${LOCAL_NETLIFY.platformAccountSlug}/sites`, {
          method: 'POST',
          headers: { authorization: `Bearer ${LOCAL_NETLIFY.platformToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        }),
      exists: async (name: string) =>
        (
          (await (
            await fetch(`${cloud().url}/api/v1/sites?name=${name}&filter=all`, { headers: { authorization: `Bearer ${LOCAL_NETLIFY.platformToken}` } })
          ).json()) as { name: string }[]
        ).some((s) => s.name === name),
      deletes: 'DELETE /api/v1/sites/:site_id',
    },
    vercel: {
      create: (name: string) =>
        fetch(`${cloud().url}/vercel/v11/projects?teamId=${LOCAL_VERCEL.platformTeamId}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${LOCAL_VERCEL.platformToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name, framework: null }),
        }),
      exists: async (name: string) =>
        (
          await fetch(`${cloud().url}/vercel/v9/projects/${name}?teamId=${LOCAL_VERCEL.platformTeamId}`, {
            headers: { authorization: `Bearer ${LOCAL_VERCEL.platformToken}` },
          })
        ).status === 200,
      deletes: 'DELETE /vercel/v9/projects/:',
    },
  } as const;

  it.each(['netlify', 'vercel'] as const)(
    '%s: an expired quick deploy is deleted and stops answering; a prefixed orphan goes, another name stays',
    async (platform) => {
      const db = await getDb();
      const p = platforms[platform];
      const old = await deployFiles(
        db,
        { userId, chatId: chat(), platform, authMode: 'platform-managed', files: { 'index.html': `old ${platform}` } },
        { settings },
      );
      const kept = await deployFiles(
        db,
        { userId, chatId: chat(), platform, authMode: 'platform-managed', files: { 'index.html': `kept ${platform}` } },
        { settings },
      );
      expect([old.status, kept.status]).toEqual(['ready', 'ready']);
      expect((await fetchSite(cloud().url, hostOf(old.url!), '/')).body.toString()).toBe(`old ${platform}`);
      await db
        .update(sites)
        .set({ expiresAt: new Date(Date.now() + 60 * DAY) })
        .where(eq(sites.id, kept.siteId!));
      const orphan = `huskit-orphan${Math.random().toString(16).slice(2, 8)}`;
      const foreign = `someone-else-${Math.random().toString(16).slice(2, 8)}`;
      expect((await p.create(orphan)).ok).toBe(true);
      expect((await p.create(foreign)).ok).toBe(true);
      const before = requestCount(await cloudStats(cloud().url), p.deletes);

      const report = await runCleanup(db, { now: in31Days(), settings });
      expect(report.failures).toEqual([]);
      expect(report.expired).toBeGreaterThanOrEqual(1);
      expect(report.orphansRemoved).toBeGreaterThanOrEqual(1);
      expect((await fetchSite(cloud().url, hostOf(old.url!), '/')).status).toBe(404);
      expect((await fetchSite(cloud().url, hostOf(kept.url!), '/')).body.toString()).toBe(`kept ${platform}`);
      expect((await db.select().from(sites).where(eq(sites.id, old.siteId!)))[0]!.status).toBe('expired');
      expect([await p.exists(orphan), await p.exists(foreign)]).toEqual([false, true]);
      // The expired site and the orphan: each deleted once.
      expect(requestCount(await cloudStats(cloud().url), p.deletes) - before).toBe(2);
    },
  );
});
