// A deployment's files are one manifest stored by content: the same files are one row (its lines an
// object in the object store) whoever deploys them how often; a row is read back only as it was
// hashed; the cleanup keeps what a deployment names, and the packs holding the files those manifests
// name. An install upgraded from per-file rows gets a manifest per deployment with the very hash its
// clients compute, its lines in the row until `npm run blobs:migrate` moves them.
import '@/testing/isolated-db';
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { manifestHash, type ProposedManifest } from '@/lib/manifest';
import { newPackId, sha256Hex } from './blob-keys';
import * as schema from '@/server/db/schema';
import { manifests, packs } from '@/server/db/schema';
import { signUp } from '@/server/auth/accounts';
import { getObjectStore } from '@/server/storage/from-env';
import { readAll } from '@/server/storage/object-store';
import { useTestDb } from '@/testing/db';
import { upgradedFrom } from '@/testing/upgraded-db';
import { createDeployment } from '@/testing/deploy';
import { useDeploySettings } from '@/testing/deploy-settings';
import { markUsed } from './blob-catalog';
import { BlobStore } from './blob-store';
import { collectPacks } from './cleanup-blobs';
import { asValidated, decodeInlineFiles, namedFiles, storeInlineFiles } from './files';
import {
  collectLeftoverManifests,
  collectManifests,
  decodeManifest,
  encodeManifest,
  hashAndRemember,
  loadManifest,
  MANIFEST_GRACE_MS,
  moveLegacyManifests,
  readStoredManifest,
  storeManifest,
} from './manifest-store';
import { decodeEntries } from './pack-index';
import { keepProposedManifest, proposedManifest } from './proposed-manifests';

const getDb = useTestDb();
const { settings } = useDeploySettings({ limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6 } });
const DAY = 24 * 60 * 60 * 1000;

const hex = () => randomBytes(32).toString('hex');
const someFiles = (n: number): ProposedManifest =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i % 7}/f-${i}-${Math.random().toString(36).slice(2)}.html`, { sha256: hex(), size: i * 97 }]));

/** The object a stored manifest's row names. */
async function objectOf(hash: string): Promise<string> {
  const [row] = await (await getDb()).select({ object: manifests.object }).from(manifests).where(eq(manifests.hash, hash));
  return row!.object!;
}
const textOf = async (key: string) => (await readAll(await getObjectStore().get(key))).toString('utf8');
/** A row's lines: a whole manifest's files, or a delta's changed files and (after a NUL) its removed paths. */
async function linesIn(hash: string): Promise<{ files: ProposedManifest; removed: string[] }> {
  const [files, removed] = (await textOf(await objectOf(hash))).split('\0');
  return { files: decodeManifest(files!), removed: removed === undefined ? [] : removed.split('\n') };
}
/** Lines stored as another process stores them: a new object (made `at`), which a row then names. */
async function putLines(text: string, at = Date.now()): Promise<string> {
  const key = `manifests/${newPackId(at)}`;
  await getObjectStore().put(key, Buffer.from(text, 'utf8'));
  return key;
}
const manifestObjects = async () => {
  const keys: string[] = [];
  for await (const key of getObjectStore().list('manifests/')) keys.push(key);
  return keys;
};

/** A deployment of these pages (its files stored for the user), not run: what it names is what counts here. */
async function deployed(userId: string, page: string): Promise<string> {
  const db = await getDb();
  const { proposed, bytes } = decodeInlineFiles({ 'index.html': page });
  await storeInlineFiles(new BlobStore(db), userId, bytes);
  const { deploymentId } = await createDeployment(
    db,
    { userId, chatId: `c-${Math.random()}`, platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed },
    { settings },
  );
  const [row] = await db.select().from(schema.deployments).where(eq(schema.deployments.id, deploymentId));
  return row!.manifestHash!;
}

async function user() {
  return signUp(await getDb(), { email: `m-${randomBytes(4).toString('hex')}@huskit.test`, password: 'a long enough test password' });
}

describe('stored by content', () => {
  it('the text form reads back as the same files, in the byte order of the paths, whatever their characters', () => {
    const files: ProposedManifest = {
      'z.html': { sha256: hex(), size: 1 },
      'café/ü.html': { sha256: hex(), size: 0 },
      'A/😀.css': { sha256: hex(), size: 123456789 },
      'index.html': { sha256: hex(), size: 42 },
      'A/ﬀ.js': { sha256: hex(), size: 7 },
    };
    const text = encodeManifest(files);
    expect(decodeManifest(text)).toEqual(files);
    // The byte order of UTF-8, as the manifest hash sorts: U+FB00 comes before U+1F600 there, after it in UTF-16.
    expect(Object.keys(decodeManifest(text))).toEqual(['A/ﬀ.js', 'A/😀.css', 'café/ü.html', 'index.html', 'z.html']);
    expect(['A/ﬀ.js', 'A/😀.css'].sort()).toEqual(['A/😀.css', 'A/ﬀ.js']);
    expect(text.split('\n')[0]).toBe(`${files['A/ﬀ.js']!.sha256}\t7\tA/ﬀ.js`);
  });

  it('the same files are one row and one object, whatever their order; storing them again marks the row used', async () => {
    const db = await getDb();
    const files = someFiles(50);
    const reversed = Object.fromEntries(Object.entries(files).reverse());
    const hash = await storeManifest(db, files, new Date(Date.now() - 3 * DAY));
    expect(hash).toBe(await manifestHash(files));
    const objectsBefore = await manifestObjects();
    expect(await storeManifest(db, reversed)).toBe(hash);
    expect(await manifestObjects()).toEqual(objectsBefore);
    const rows = await db.select().from(manifests).where(eq(manifests.hash, hash));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    // The lines are in the object store, none in PostgreSQL.
    expect([rows[0]!.files, rows[0]!.removed]).toEqual([null, null]);
    expect(await textOf(rows[0]!.object!)).toBe(encodeManifest(files));
    expect(decodeManifest(await textOf(rows[0]!.object!))).toEqual(files);
  });

  it('a row is read back only when it hashes to its name', async () => {
    const db = await getDb();
    const files = someFiles(5);
    const hash = await manifestHash(files);
    // Written directly, so that this process has never seen it: it is read from the row's object.
    await db.insert(manifests).values({ hash, object: await putLines(encodeManifest(files)) });
    expect(namedFiles(await loadManifest(db, hash))).toEqual(files);
    const other = someFiles(3);
    const wrongName = await manifestHash(someFiles(2));
    await db.insert(manifests).values({ hash: wrongName, object: await putLines(encodeManifest(other)) });
    await expect(loadManifest(db, wrongName)).rejects.toThrow(/does not hash to its name/);
    await expect(loadManifest(db, hex())).rejects.toThrow(/No stored manifest/);
  });

  it('a malformed stored line is refused, not read on', () => {
    const good = encodeManifest(someFiles(2));
    expect(() => decodeManifest(good.slice(0, -1))).toThrow(/malformed/);
    expect(() => decodeManifest(`${good}${'a'.repeat(64)}\n`)).toThrow(/malformed/);
  });

  it('a manifest given out is shared and frozen: no caller can change what the others read', async () => {
    const db = await getDb();
    const files = someFiles(3);
    const hash = await storeManifest(db, files);
    const first = (await loadManifest(db, hash)) as Record<string, unknown>;
    expect(() => delete first[Object.keys(first)[0]!]).toThrow(TypeError);
    expect(() => Object.assign(Object.values(first)[0]!, { size: 1 })).toThrow(TypeError);
    expect(namedFiles(await loadManifest(db, hash))).toEqual(files);
  });
});

describe('a redeploy stored as a delta', () => {
  /** What the table holds for the hash. */
  const rowOf = async (hash: string) => (await (await getDb()).select().from(manifests).where(eq(manifests.hash, hash)))[0]!;

  it('holds only what differs from the whole manifest it follows, and reads back the same files from the rows alone', async () => {
    const db = await getDb();
    const v1 = someFiles(40);
    const v1Hash = await storeManifest(db, v1, new Date(Date.now() - 3 * DAY));
    const [gone, changedPath] = Object.keys(v1);
    const v2: ProposedManifest = { ...v1, [changedPath!]: { sha256: hex(), size: 5 }, 'new/page.html': { sha256: hex(), size: 6 } };
    delete v2[gone!];
    const v2Hash = await storeManifest(db, v2, new Date(), undefined, v1Hash);
    expect((await rowOf(v2Hash)).baseHash).toBe(v1Hash);
    // The base is marked used as the delta names it: a cleanup waiting on its row then keeps it.
    expect((await rowOf(v1Hash)).createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await linesIn(v2Hash)).toEqual({ files: { [changedPath!]: v2[changedPath!], 'new/page.html': v2['new/page.html'] }, removed: [gone] });
    expect(namedFiles(await readStoredManifest(db, v2Hash))).toEqual(v2);

    // A redeploy of that one is a delta of the same whole manifest (never a chain), with all that differs from it.
    const v3: ProposedManifest = { ...v2, 'late.css': { sha256: hex(), size: 7 } };
    const v3Hash = await storeManifest(db, v3, new Date(), undefined, v2Hash);
    expect((await rowOf(v3Hash)).baseHash).toBe(v1Hash);
    const v3Lines = await linesIn(v3Hash);
    expect([Object.keys(v3Lines.files).length, v3Lines.removed]).toEqual([3, [gone]]);
    expect(namedFiles(await readStoredManifest(db, v3Hash))).toEqual(v3);
  });

  it('written by another process (rows this one never saw), reads back from its base row and its own', async () => {
    const db = await getDb();
    const base = someFiles(12);
    const [gone, changedPath] = Object.keys(base);
    const files: ProposedManifest = { ...base, [changedPath!]: { sha256: hex(), size: 9 }, 'new.css': { sha256: hex(), size: 4 } };
    delete files[gone!];
    const [baseHash, hash] = [await manifestHash(base), await manifestHash(files)];
    await db.insert(manifests).values({ hash: baseHash, object: await putLines(encodeManifest(base)) });
    const changed = { [changedPath!]: files[changedPath!]!, 'new.css': files['new.css']! };
    // A delta's object: its changed lines, a NUL, the paths it removed.
    await db.insert(manifests).values({ hash, object: await putLines(`${encodeManifest(changed)}\0${gone}`), baseHash });
    expect(namedFiles(await readStoredManifest(db, hash))).toEqual(files);

    // A delta whose base is itself a delta is refused, not followed (none is ever stored).
    const [inner] = await db.select().from(manifests).where(eq(manifests.hash, hash));
    // Not from this process's memory: a copy of the inner delta under a name never read.
    const innerCopy = await manifestHash(someFiles(1));
    await db.insert(manifests).values({ hash: innerCopy, object: await putLines(await textOf(inner!.object!)), baseHash: inner!.baseHash });
    const onCopy = `f${hex().slice(1)}`;
    await db.insert(manifests).values({ hash: onCopy, object: await putLines(encodeManifest({ 'x.js': { sha256: hex(), size: 1 } })), baseHash: innerCopy });
    await expect(readStoredManifest(db, onCopy)).rejects.toThrow(/a delta's base and a delta itself/);
    // The cleanup cannot make such a delta whole: it goes on, and removes these rows no deployment names,
    // with their objects (the readable delta's too, made whole first and then unnamed).
    const gone3 = [hash, innerCopy, onCopy];
    const objects = await Promise.all(gone3.map(objectOf));
    await db.update(manifests).set({ createdAt: new Date(Date.now() - 2 * DAY) });
    await expect(collectManifests(db, new Date())).resolves.toBeGreaterThanOrEqual(3);
    for (const h of gone3) expect(await db.select().from(manifests).where(eq(manifests.hash, h)), h).toEqual([]);
    for (const key of objects) expect(await getObjectStore().size(key), key).toBeNull();
  });

  it('is a delta up to a quarter of the files changed, whole beyond', async () => {
    const db = await getDb();
    const v1 = someFiles(40);
    const v1Hash = await storeManifest(db, v1);
    const changing = (n: number) => Object.fromEntries(Object.entries(v1).map(([p, f], i) => [p, i < n ? { sha256: hex(), size: 1 } : f]));
    expect((await rowOf(await storeManifest(db, changing(10), new Date(), undefined, v1Hash))).baseHash).toBe(v1Hash);
    expect((await rowOf(await storeManifest(db, changing(11), new Date(), undefined, v1Hash))).baseHash).toBeNull();
  });

  it('is stored whole when much differs, or when the manifest it follows is not stored', async () => {
    const db = await getDb();
    const v1 = someFiles(40);
    const v1Hash = await storeManifest(db, v1);
    const half = Object.fromEntries(Object.entries(v1).map(([p, f], i) => [p, i % 2 ? { sha256: hex(), size: 1 } : f]));
    const halfHash = await storeManifest(db, half, new Date(), undefined, v1Hash);
    expect((await rowOf(halfHash)).baseHash).toBeNull();
    expect(await linesIn(halfHash)).toEqual({ files: half, removed: [] });
    const oneMore = { ...v1, 'x.html': { sha256: hex(), size: 2 } };
    const orphanHash = await storeManifest(db, oneMore, new Date(), undefined, hex());
    expect((await rowOf(orphanHash)).baseHash).toBeNull();
  });

  it('is read back only when base and delta hash to its name', async () => {
    const db = await getDb();
    const v1 = someFiles(10);
    const v1Hash = await storeManifest(db, v1);
    const v2 = { ...v1, 'x.html': { sha256: hex(), size: 2 } };
    const v2Hash = await storeManifest(db, v2, new Date(), undefined, v1Hash);
    // The delta's line changed by hand (its object written over): the files no longer hash to the name.
    await getObjectStore().put(await objectOf(v2Hash), Buffer.from(encodeManifest({ 'x.html': { sha256: hex(), size: 2 } })));
    await expect(readStoredManifest(db, v2Hash)).rejects.toThrow(/does not hash to its name/);
  });
});

describe('the cleanup', () => {
  it('removes manifests unused for a day that no deployment names, and keeps the others', async () => {
    const db = await getDb();
    const u = await user();
    const old = new Date(Date.now() - MANIFEST_GRACE_MS - 60_000);
    const unused = await storeManifest(db, someFiles(3), old);
    const recent = await storeManifest(db, someFiles(3));
    const named = await deployed(u.id, `<p>${Math.random()}</p>`);
    await db.update(manifests).set({ createdAt: old }).where(eq(manifests.hash, named));
    const [unusedObject, recentObject, namedObject] = [await objectOf(unused), await objectOf(recent), await objectOf(named)];
    expect(await collectManifests(db, new Date())).toBeGreaterThanOrEqual(1);
    const left = new Set((await db.select({ hash: manifests.hash }).from(manifests)).map((r) => r.hash));
    expect([left.has(unused), left.has(recent), left.has(named)]).toEqual([false, true, true]);
    // The removed row's object goes with it.
    expect(await getObjectStore().size(unusedObject)).toBeNull();
    for (const key of [recentObject, namedObject]) expect(await getObjectStore().size(key)).toBeGreaterThan(0);
  });

  it('removes manifest objects no row names once a day old (a row dropped in a transaction, or never committed), and keeps the others', async () => {
    const db = await getDb();
    const files = encodeManifest(someFiles(2));
    const twoDaysAgo = Date.now() - 2 * DAY;
    const [oldLeftover, freshLeftover, oldNamed] = [await putLines(files, twoDaysAgo), await putLines(files), await putLines(files, twoDaysAgo)];
    await db.insert(manifests).values({ hash: await manifestHash(someFiles(1)), object: oldNamed });
    expect(await collectLeftoverManifests(db, new Date())).toBeGreaterThanOrEqual(1);
    expect(await getObjectStore().size(oldLeftover)).toBeNull();
    expect(await getObjectStore().size(freshLeftover)).toBe(files.length);
    expect(await getObjectStore().size(oldNamed)).toBe(files.length);
  });

  it('a deployment marks the files it looked up used, so that a cleanup running meanwhile keeps them', async () => {
    const db = await getDb();
    const u = await user();
    const store = new BlobStore(db);
    const page = `<p>marked ${Math.random()}</p>`;
    const sha = sha256Hex(Buffer.from(page));
    await store.put(u.id, sha, Buffer.from(page));
    const { pack } = (await store.locate(u.id, [sha])).get(sha)!;
    await db
      .update(packs)
      .set({ createdAt: new Date(Date.now() - 2 * DAY) })
      .where(eq(packs.id, pack));
    await deployed(u.id, page);
    const [row] = await db.select({ createdAt: packs.createdAt }).from(packs).where(eq(packs.id, pack));
    expect(row!.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await collectPacks(db, new Date());
    expect(await db.select({ id: packs.id }).from(packs).where(eq(packs.id, pack))).toEqual([{ id: pack }]);
    expect((await store.get(u.id, sha)).toString()).toBe(page);
    // What is missing by then is counted out: the deployment is refused.
    expect(await markUsed(db, u.id, [sha, hex()], new Date())).toBe(1);
  });

  it('a proposal’s stored manifest keeps no file from the cleanup: only a deployment’s does', async () => {
    const db = await getDb();
    const u = await user();
    const other = await user();
    const store = new BlobStore(db);
    // A file someone else uploaded, named (with its hash) in a manifest this user negotiates.
    const theirs = randomBytes(200);
    await store.put(other.id, sha256Hex(theirs), theirs);
    const at = (await store.locate(other.id, [sha256Hex(theirs)])).get(sha256Hex(theirs))!;
    const files: ProposedManifest = { 'index.html': { sha256: sha256Hex(theirs), size: theirs.length } };
    const hash = await hashAndRemember(asValidated(files));
    await keepProposedManifest(db, u.id, { hash, files, platform: 'cloudflare' });
    expect(await db.select({ hash: manifests.hash }).from(manifests).where(eq(manifests.hash, hash))).toEqual([{ hash }]);
    await db
      .update(packs)
      .set({ createdAt: new Date(Date.now() - 2 * DAY) })
      .where(eq(packs.userId, other.id));
    const collected = await collectPacks(db, new Date());
    expect(collected.released).toBeGreaterThanOrEqual(1);
    expect(collected.packsRemoved).toBeGreaterThanOrEqual(1);
    expect(await db.select().from(packs).where(eq(packs.id, at.pack))).toEqual([]);
    expect(await store.objects.size(at.object)).toBeNull();
    // Nor did the proposal make it the negotiating user's.
    expect(await store.missing(u.id, [sha256Hex(theirs)])).toEqual([sha256Hex(theirs)]);
  });

  it('keeps the packs of the files a deployment’s manifest names, and removes the others', async () => {
    const db = await getDb();
    const u = await user();
    const store = new BlobStore(db);
    const page = `<p>kept ${Math.random()}</p>`;
    await deployed(u.id, page);
    const loose = randomBytes(300);
    await store.put(u.id, sha256Hex(loose), loose);
    const keptHash = sha256Hex(Buffer.from(page));
    const looseAt = (await store.locate(u.id, [sha256Hex(loose)])).get(sha256Hex(loose))!;
    await db
      .update(packs)
      .set({ createdAt: new Date(Date.now() - 2 * DAY) })
      .where(eq(packs.userId, u.id));
    // Only this user's packs are a day old here: the loose one goes, and nothing else.
    expect(await collectPacks(db, new Date())).toEqual({ released: 1, packsRemoved: 1 });
    const rows = await db.select({ entries: packs.entries }).from(packs).where(eq(packs.userId, u.id));
    expect(rows.map((r) => decodeEntries(r.entries).map((e) => e.sha256))).toEqual([[keptHash]]);
    expect(await store.objects.size(looseAt.object)).toBeNull();
    expect(await store.missing(u.id, [keptHash, sha256Hex(loose)])).toEqual([sha256Hex(loose)]);
    expect((await store.get(u.id, keptHash)).toString()).toBe(page);
  });
});

describe('the cleanup and deltas', () => {
  it('a whole manifest only a delta’s deployment names keeps its row and the delta’s files; they go once that deployment goes', async () => {
    const db = await getDb();
    const u = await user();
    const store = new BlobStore(db);
    // Two of ten files differ: a delta. gone.js is most of the first upload's bytes: once nothing
    // names it, that pack is written again without it.
    const same = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`p${i}.html`, `<p>${i} ${Math.random()}</p>`]));
    const pages = {
      ...same,
      'index.html': `<p>v1 ${Math.random()}</p>`,
      'kept.css': `p{} /* ${Math.random()} */`,
      'gone.js': `gone(${Math.random()}); // ${'x'.repeat(4000)}`,
    };
    const v1 = decodeInlineFiles(pages);
    const v2 = decodeInlineFiles({ ...same, 'index.html': `<p>v2 ${Math.random()}</p>`, 'kept.css': pages['kept.css'] });
    // Uploaded as a client would: all of v1, then what v2 changed.
    await storeInlineFiles(store, u.id, v1.bytes);
    await storeInlineFiles(store, u.id, v2.bytes);
    const chatId = `c-${Math.random()}`;
    const target = { userId: u.id, chatId, platform: 'cloudflare' as const, authMode: 'platform-managed' as const };
    const first = await createDeployment(db, { ...target, manifest: v1.proposed }, { settings });
    const [firstRow] = await db.select().from(schema.deployments).where(eq(schema.deployments.id, first.deploymentId));
    const second = await createDeployment(db, { ...target, manifest: v2.proposed, storedNear: firstRow!.manifestHash! }, { settings });
    const [secondRow] = await db.select().from(schema.deployments).where(eq(schema.deployments.id, second.deploymentId));
    const whole = firstRow!.manifestHash!;
    const delta = secondRow!.manifestHash!;
    expect((await db.select().from(manifests).where(eq(manifests.hash, delta)))[0]!.baseHash).toBe(whole);
    expect((await linesIn(delta)).removed).toEqual(['gone.js']);
    const shaOf = (m: typeof v1, path: string) => m.proposed[path]!.sha256;
    const firstPack = (await store.locate(u.id, [shaOf(v1, 'gone.js')])).get(shaOf(v1, 'gone.js'))!;
    expect(firstPack.files).toBe(10);

    /** The user's packs (and the manifests too, unless `manifestsToo` is false) aged past the grace period, then one cleanup. */
    const agedCleanup = async (manifestsToo = true) => {
      const old = new Date(Date.now() - 2 * DAY);
      if (manifestsToo) await db.update(manifests).set({ createdAt: old });
      await db.update(packs).set({ createdAt: old }).where(eq(packs.userId, u.id));
      await collectPacks(db, new Date());
      await collectManifests(db, new Date());
    };
    /** What the user holds: the files their pack rows list. */
    const held = async () => {
      const rows = await db.select({ entries: packs.entries }).from(packs).where(eq(packs.userId, u.id));
      return new Set(rows.flatMap((r) => decodeEntries(r.entries).map((e) => e.sha256)));
    };
    const stored = async () => new Set((await db.select({ hash: manifests.hash }).from(manifests)).map((r) => r.hash));
    // Every file of the delta's deployment, unchanged or not, still held and read back as uploaded.
    const checkKept = async () => {
      const now = await held();
      for (const [sha, bytes] of v2.bytes) {
        expect(now.has(sha), sha).toBe(true);
        expect((await store.get(u.id, sha)).equals(bytes), sha).toBe(true);
      }
    };
    const dropped = [shaOf(v1, 'gone.js'), shaOf(v1, 'index.html')];

    // The first deployment goes: the unchanged files are in the first upload's pack, yet the delta's
    // deployment uses them; that pack, mostly v1's dropped files by then, is written again without them.
    await db.delete(schema.deployments).where(eq(schema.deployments.id, first.deploymentId));
    await agedCleanup(false);
    expect([(await stored()).has(whole), (await stored()).has(delta)]).toEqual([true, true]);
    await checkKept();
    for (const sha of dropped) expect((await held()).has(sha), sha).toBe(false);
    expect(await db.select().from(packs).where(eq(packs.id, firstPack.pack))).toEqual([]);
    expect(await store.objects.size(firstPack.object)).toBeNull();
    expect(namedFiles(await readStoredManifest(db, delta))).toEqual(v2.proposed);

    // Unused for a day, the base no deployment names goes: its delta is stored whole first (the
    // delta must not keep someone's earlier files), and the files it names stay. The delta's row names
    // a new object of its whole lines; the old objects go.
    const [wholeObject, deltaObject] = [await objectOf(whole), await objectOf(delta)];
    await agedCleanup();
    expect([(await stored()).has(whole), (await stored()).has(delta)]).toEqual([false, true]);
    expect((await db.select().from(manifests).where(eq(manifests.hash, delta)))[0]!.baseHash).toBeNull();
    expect(await objectOf(delta)).not.toBe(deltaObject);
    expect(await linesIn(delta)).toEqual({ files: v2.proposed, removed: [] });
    for (const key of [wholeObject, deltaObject]) expect(await getObjectStore().size(key), key).toBeNull();
    expect(namedFiles(await readStoredManifest(db, delta))).toEqual(v2.proposed);
    await agedCleanup();
    await checkKept();
    for (const sha of dropped) expect((await held()).has(sha), sha).toBe(false);

    // The delta's deployment goes too: its row goes, and its files' packs with their objects.
    const objects = (await db.select({ object: packs.object }).from(packs).where(eq(packs.userId, u.id))).map((r) => r.object);
    expect(objects.length).toBeGreaterThan(0);
    await db.delete(schema.deployments).where(eq(schema.deployments.id, second.deploymentId));
    await agedCleanup();
    expect((await stored()).has(delta)).toBe(false);
    expect(await held()).toEqual(new Set());
    for (const object of objects) expect(await store.objects.size(object), object).toBeNull();
  });
});

describe('an install upgraded from one row per deployed file', () => {
  it('gets one manifest per set of files, named by the hash its clients compute, and no per-file rows', async () => {
    await upgradedFrom('0009_blob_packs', async (db, upgrade) => {
      const run = async (q: ReturnType<typeof sql>) => (await db.execute(q)).rows as Record<string, unknown>[];
      const [owner] = await run(sql`insert into users (email, password_hash) values ('old@huskit.test', 'x') returning id`);
      const site: ProposedManifest = {
        'index.html': { sha256: hex(), size: 10 },
        'café/ü.html': { sha256: hex(), size: 0 },
        // Its key's top bit set: a negative bigint.
        'Z.css': { sha256: `f${hex().slice(1)}`, size: 3 },
      };
      const other: ProposedManifest = { 'index.html': { sha256: hex(), size: 11 } };
      const deployments: [string, ProposedManifest][] = [];
      for (const files of [site, site, other]) {
        const [d] = await run(
          sql`insert into deployments (user_id, chat_id, platform, auth_mode, manifest_hash) values (${owner!.id as string}, 'chat', 'cloudflare', 'platform-managed', 'stale') returning id`,
        );
        for (const [p, f] of Object.entries(files))
          await run(
            sql`insert into deployment_files (deployment_id, path, sha256, size, content_type) values (${d!.id as string}, ${p}, ${f.sha256}, ${f.size}, 'text/html')`,
          );
        deployments.push([d!.id as string, files]);
      }
      const [empty] = await run(
        sql`insert into deployments (user_id, chat_id, platform, auth_mode, manifest_hash) values (${owner!.id as string}, 'chat', 'cloudflare', 'platform-managed', 'none') returning id`,
      );

      await upgrade();

      expect(await run(sql`select count(*)::int as n from manifests`)).toEqual([{ n: 2 }]);
      for (const [id, files] of deployments) {
        const [row] = await run(sql`select m.hash, m.files from deployments d join manifests m on m.hash = d.manifest_hash where d.id = ${id}`);
        expect(row!.hash).toBe(await manifestHash(files));
        expect(decodeManifest(row!.files as string)).toEqual(files);
      }
      expect(await run(sql`select manifest_hash from deployments where id = ${empty!.id as string}`)).toEqual([{ manifest_hash: null }]);
      expect(await run(sql`select to_regclass('deployment_files') as t`)).toEqual([{ t: null }]);
      // The cleanup reads each user's deployed manifests now (0016): the GIN index of their hashes and
      // its functions (0010, 0013) are gone.
      expect(
        await run(
          sql`select to_regclass('manifests_blob_keys_idx') as i, to_regprocedure('manifest_blob_keys(text)') as k, to_regprocedure('manifest_blob_hashes(text)') as h`,
        ),
      ).toEqual([{ i: null, k: null, h: null }]);

      // Their lines stay in the rows (read from there) until `npm run blobs:migrate` moves them into
      // objects; a delta's removed paths too (a row of 0010–0015, as written then).
      const siteHash = await manifestHash(site);
      const later: ProposedManifest = { ...site, 'new.js': { sha256: hex(), size: 5 } };
      delete later['Z.css'];
      const laterHash = await manifestHash(later);
      await run(
        sql`insert into manifests (hash, files, base_hash, removed) values (${laterHash}, ${encodeManifest({ 'new.js': later['new.js']! })}, ${siteHash}, 'Z.css')`,
      );
      const legacyRows: [string, ProposedManifest][] = [
        [siteHash, site],
        [await manifestHash(other), other],
        [laterHash, later],
      ];
      for (const [hash, files] of legacyRows) expect(namedFiles(await readStoredManifest(db, hash))).toEqual(files);
      expect(await moveLegacyManifests(db)).toBe(3);
      expect(await run(sql`select count(*)::int as n from manifests where object is null or files is not null or removed is not null`)).toEqual([{ n: 0 }]);
      for (const [hash, files] of legacyRows) expect(namedFiles(await readStoredManifest(db, hash))).toEqual(files);
      const objectText = async (hash: string) => textOf((await run(sql`select object from manifests where hash = ${hash}`))[0]!.object as string);
      expect(await objectText(laterHash)).toBe(`${encodeManifest({ 'new.js': later['new.js']! })}\0Z.css`);
      expect(await objectText(siteHash)).toBe(encodeManifest(site));
      expect(await moveLegacyManifests(db)).toBe(0);
    });
  });

  it('keeps the proposals in flight: a whole one’s files move to the stored manifests it now names (0011)', async () => {
    await upgradedFrom('0010_manifests_by_content', async (db, upgrade) => {
      const run = async (q: ReturnType<typeof sql>) => (await db.execute(q)).rows as Record<string, unknown>[];
      const [owner] = await run(sql`insert into users (email, password_hash) values ('proposer@huskit.test', 'x') returning id`);
      const userId = owner!.id as string;
      const whole: ProposedManifest = { 'index.html': { sha256: hex(), size: 10 }, 'ü.css': { sha256: hex(), size: 3 } };
      const wholeHash = await manifestHash(whole);
      const inFlight = async (values: { hash: string; files?: string; base?: string; changes?: string }) =>
        (
          await run(sql`insert into proposed_manifests (user_id, manifest_hash, platform, files, base_hash, changes, created_at, expires_at)
            values (${userId}, ${values.hash}, 'cloudflare', ${values.files ?? null}, ${values.base ?? null}, ${values.changes ?? null}::jsonb, now(), now() + interval '1 hour') returning id`)
        )[0]!.id as string;
      // The same files proposed twice, and a delta against them.
      const first = await inFlight({ hash: wholeHash, files: encodeManifest(whole) });
      const second = await inFlight({ hash: wholeHash, files: encodeManifest(whole) });
      const changed = { 'b.js': { sha256: hex(), size: 1 } };
      const afterDelta: ProposedManifest = { ...whole, ...changed };
      const delta = await inFlight({ hash: await manifestHash(afterDelta), base: wholeHash, changes: JSON.stringify({ changed, removed: [] }) });

      await upgrade();

      expect(await run(sql`select hash, files from manifests`)).toEqual([{ hash: wholeHash, files: encodeManifest(whole) }]);
      expect(await run(sql`select column_name from information_schema.columns where table_name = 'proposed_manifests' and column_name = 'files'`)).toEqual([]);
      // Read as another process would (this one never hashed these files).
      for (const id of [first, second]) expect(namedFiles((await proposedManifest(db, userId, id)).files)).toEqual(whole);
      expect(namedFiles((await proposedManifest(db, userId, delta)).files)).toEqual(afterDelta);
    });
  });
});
