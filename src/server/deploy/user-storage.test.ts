// The bytes and files a user holds are kept as running totals (user_storage, by triggers on packs): the
// quota reads one row instead of summing every file the user holds. The totals must always be those sums.
// Its own database: the cleanup acts on every user's packs.
import '@/testing/isolated-db';
import { randomBytes, randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { signUp } from '@/server/auth/accounts';
import { useTestDb } from '@/testing/db';
import { upgradedFrom } from '@/testing/upgraded-db';
import type { Db } from '../db/client';
import { packs, packScans, users, userStorage } from '../db/schema';
import { getObjectStore } from '../storage/from-env';
import { blobKey, packKey, sha1Hex, sha256Hex } from './blob-keys';
import { BlobStore } from './blob-store';
import { collectPacks } from './cleanup-blobs';
import { byteaBuffer } from '../db/schema/columns';
import { decodeEntries, type PackEntry } from './pack-index';
import { addUploadedFiles, createProject } from '../projects/service';

const getDb = useTestDb();
const DAY = 24 * 3600_000;

const newUser = async (db: Db) => signUp(db, { email: `s-${randomBytes(4).toString('hex')}@huskit.test`, password: 'a long enough test password' });
const file = (size: number) => {
  const bytes = randomBytes(size);
  return { sha256: sha256Hex(bytes), bytes };
};

/** A user's pack rows, their entries decoded, in a stable order. */
async function packsOf(db: Db, userId: string): Promise<{ object: string; bytes: number; entries: PackEntry[]; createdAt: Date }[]> {
  const rows = (await db.execute(sql`select object, bytes, entries, created_at from packs where user_id = ${userId}`)) as unknown as {
    rows: { object: string; bytes: string | number; entries: Uint8Array | string; created_at: Date | string }[];
  };
  return rows.rows
    .map((r) => ({ object: r.object, bytes: Number(r.bytes), entries: decodeEntries(byteaBuffer(r.entries)), createdAt: new Date(r.created_at) }))
    .sort((a, b) => (a.object < b.object ? -1 : 1));
}

/** The running total, and the sum it stands for: the sizes of the files the user's packs list. */
async function totals(db: Db, userId: string): Promise<{ kept: number; sum: number }> {
  const [kept] = await db.select({ bytes: userStorage.bytes, files: userStorage.files }).from(userStorage).where(eq(userStorage.userId, userId));
  const held = await packsOf(db, userId);
  // Each row's `bytes` (what the triggers add up) is the sum of its entries.
  for (const p of held) expect(p.bytes).toBe(p.entries.reduce((n, e) => n + e.size, 0));
  // And the files counted are the entries listed.
  expect(kept?.files ?? 0).toBe(held.reduce((n, p) => n + p.entries.length, 0));
  return { kept: kept?.bytes ?? 0, sum: held.reduce((n, p) => n + p.bytes, 0) };
}

describe("a user's stored bytes", () => {
  it('follow every pack added, uploaded again, released, written again by the cleanup, and go with the user; another user’s copy stays', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const objects = getObjectStore();
    const [alice, bob] = [await newUser(db), await newUser(db)];
    const [a, b, c, d, e] = [file(1000), file(2500), file(40), file(3000), file(200)];

    await store.putMany(alice.id, [a, b]);
    expect(await totals(db, alice.id)).toEqual({ kept: 3500, sum: 3500 });
    // The same files again, and one of them with a new one: only what is new is stored and counts.
    await store.putMany(alice.id, [a, b]);
    await store.putMany(alice.id, [b, c]);
    expect(await totals(db, alice.id)).toEqual({ kept: 3540, sum: 3540 });
    // Two packs: the first request's two files, and the one new file of the third.
    expect((await packsOf(db, alice.id)).map((p) => p.entries.map((x) => x.sha256).sort()).sort((p, q) => q.length - p.length)).toEqual([
      [a.sha256, b.sha256].sort(),
      [c.sha256],
    ]);
    expect(await store.storageUsed(alice.id)).toBe(3540);
    // Bob uploads one of the same files: a pack of his own, which he alone counts.
    await store.put(bob.id, a.sha256, a.bytes);
    expect(await totals(db, bob.id)).toEqual({ kept: 1000, sum: 1000 });
    expect(await totals(db, alice.id)).toEqual({ kept: 3540, sum: 3540 });

    // A pack mostly of a file nothing names, with one a project names (200 of its 3,200 bytes).
    await store.putMany(alice.id, [d, e]);
    const project = await createProject(db, alice.id, { name: 'Kept' });
    await addUploadedFiles(db, alice.id, project.id, { 'index.html': { sha256: e.sha256, size: 200 } }, false);
    expect(await totals(db, alice.id)).toEqual({ kept: 6740, sum: 6740 });

    // The cleanup removes Alice's packs unused for a day that hold nothing live, and writes the mostly
    // dead one again with its live file; Bob's pack is fresh and stays.
    const alicesObjects = (await packsOf(db, alice.id)).map((p) => p.object);
    await db
      .update(packs)
      .set({ createdAt: new Date(Date.now() - 2 * DAY) })
      .where(eq(packs.userId, alice.id));
    expect(await collectPacks(db, new Date())).toEqual({ released: 4, packsRemoved: 3 });
    expect(await totals(db, alice.id)).toEqual({ kept: 200, sum: 200 });
    const [rewritten] = await packsOf(db, alice.id);
    expect(rewritten!.entries).toEqual([{ sha256: e.sha256, sha1: sha1Hex(e.bytes), offset: 0, size: 200 }]);
    expect(alicesObjects).not.toContain(rewritten!.object);
    for (const key of alicesObjects) expect(await objects.size(key)).toBeNull();
    expect((await store.get(alice.id, e.sha256)).equals(e.bytes)).toBe(true);
    expect(await store.missing(alice.id, [a.sha256, b.sha256, c.sha256, d.sha256, e.sha256])).toEqual([a.sha256, b.sha256, c.sha256, d.sha256]);
    // Bob's copy of the same bytes is his own object, untouched.
    expect(await totals(db, bob.id)).toEqual({ kept: 1000, sum: 1000 });
    expect((await store.get(bob.id, a.sha256)).equals(a.bytes)).toBe(true);

    // Alice uploads again; then Bob's account is deleted, with his packs and his total.
    await store.put(alice.id, c.sha256, c.bytes);
    expect(await totals(db, alice.id)).toEqual({ kept: 240, sum: 240 });
    await db.delete(users).where(eq(users.id, bob.id));
    expect(await db.select().from(userStorage).where(eq(userStorage.userId, bob.id))).toEqual([]);
    expect(await db.select().from(packs).where(eq(packs.userId, bob.id))).toEqual([]);
    expect(await totals(db, alice.id)).toEqual({ kept: 240, sum: 240 });
  });

  it('an install upgraded through 0014 and 0015 starts from what each user held, and counts on from there', async () => {
    await upgradedFrom('0013_manifest_blob_keys', async (db, upgrade) => {
      const [alice, bob] = [await newUser(db as unknown as Db), await newUser(db as unknown as Db)];
      const [a, b] = [file(700), file(300)];
      // As the old code stored them: each blob its own object, held by whoever uploaded it.
      await db.execute(sql`insert into blobs (sha256, size) values (${a.sha256}, 700), (${b.sha256}, 300)`);
      await db.execute(sql`insert into user_blobs (user_id, sha256) values (${alice.id}, ${a.sha256}), (${alice.id}, ${b.sha256}), (${bob.id}, ${b.sha256})`);
      await upgrade();
      expect(await totals(db as unknown as Db, alice.id)).toEqual({ kept: 1000, sum: 1000 });
      expect(await totals(db as unknown as Db, bob.id)).toEqual({ kept: 300, sum: 300 });
      // Bob uploads a file Alice holds: his own pack, counted for him.
      await new BlobStore(db as unknown as Db).put(bob.id, a.sha256, a.bytes);
      expect(await totals(db as unknown as Db, bob.id)).toEqual({ kept: 1000, sum: 1000 });
      expect(await totals(db as unknown as Db, alice.id)).toEqual({ kept: 1000, sum: 1000 });
    });
  });

  it('an install upgraded to 0015 has a pack row per user and object, its files readable per user, and the same totals', async () => {
    await upgradedFrom('0014_user_storage', async (db, upgrade) => {
      const asDb = db as unknown as Db;
      const objects = getObjectStore();
      const [alice, bob, carol] = [await newUser(asDb), await newUser(asDb), await newUser(asDb)];
      // A pack of three files (one of them stored before SHA-1 was kept), and a file stored alone.
      const [x, y, w, z] = [file(300), file(500), file(200), file(700)];
      const pack = randomUUID();
      await objects.put(packKey(pack), [x.bytes, y.bytes, w.bytes]);
      await objects.put(blobKey(z.sha256), z.bytes);
      const long = new Date(Date.now() - 3 * DAY);
      await db.execute(sql`insert into blobs (sha256, sha1, size, pack, pack_offset) values
        (${x.sha256}, ${sha1Hex(x.bytes)}, 300, ${pack}, 0),
        (${y.sha256}, ${sha1Hex(y.bytes)}, 500, ${pack}, 300),
        (${w.sha256}, null, 200, ${pack}, 800)`);
      await db.execute(sql`insert into blobs (sha256, sha1, size, created_at) values (${z.sha256}, ${sha1Hex(z.bytes)}, 700, ${long})`);
      await db.execute(sql`update blobs set scanned_with = 'rules-v1' where sha256 = ${x.sha256}`);
      // Alice holds the whole pack and the lone file; Bob one file of the pack and the lone file;
      // Carol held a file once (her total row is there, at 0).
      await db.execute(sql`insert into user_blobs (user_id, sha256) values
        (${alice.id}, ${x.sha256}), (${alice.id}, ${y.sha256}), (${alice.id}, ${w.sha256}), (${bob.id}, ${y.sha256})`);
      await db.execute(sql`insert into user_blobs (user_id, sha256, created_at) values (${alice.id}, ${z.sha256}, ${long}), (${bob.id}, ${z.sha256}, ${long})`);
      await db.execute(sql`insert into user_blobs (user_id, sha256) values (${carol.id}, ${x.sha256})`);
      await db.execute(sql`delete from user_blobs where user_id = ${carol.id}`);
      // Dave and Erin hold nothing, but Dave's project names w, and Erin's deployment a delta (x) of a
      // whole manifest (y, z): the old cleanup kept what they name, so they hold it from now on.
      const [dave, erin] = [await newUser(asDb), await newUser(asDb)];
      const project = randomUUID();
      await db.execute(sql`insert into projects (id, user_id, name) values (${project}, ${dave.id}, 'named')`);
      await db.execute(sql`insert into project_files (project_id, path, sha256, size) values (${project}, 'w.bin', ${w.sha256}, 200)`);
      const line = (f: { sha256: string; bytes: Buffer }, path: string) => `${f.sha256}\t${f.bytes.length}\t${path}\n`;
      await db.execute(sql`insert into manifests (hash, files) values ('whole', ${line(y, 'y.bin') + line(z, 'z.bin')})`);
      await db.execute(sql`insert into manifests (hash, files, base_hash) values ('delta', ${line(x, 'x.bin')}, 'whole')`);
      await db.execute(
        sql`insert into deployments (user_id, chat_id, platform, auth_mode, manifest_hash) values (${erin.id}, 'c', 'cloudflare', 'user-token', 'delta')`,
      );
      await upgrade();

      const entry = (f: { sha256: string; bytes: Buffer }, offset: number, sha1 = sha1Hex(f.bytes)) => ({
        sha256: f.sha256,
        sha1,
        offset,
        size: f.bytes.length,
      });
      const alone = blobKey(z.sha256);
      const shared = packKey(pack);
      const rowsOf = async (userId: string) => (await packsOf(asDb, userId)).map(({ object, bytes, entries }) => ({ object, bytes, entries }));
      // One row per user and object, the files in offset order; the old pack's object is named by two users' rows.
      const expectedAlice = [
        { object: alone, bytes: 700, entries: [entry(z, 0)] },
        { object: shared, bytes: 1000, entries: [entry(x, 0), entry(y, 300), entry(w, 800, '')] },
      ].sort((p, q) => (p.object < q.object ? -1 : 1));
      expect(await rowsOf(alice.id)).toEqual(expectedAlice);
      const expectedBob = [
        { object: alone, bytes: 700, entries: [entry(z, 0)] },
        { object: shared, bytes: 500, entries: [entry(y, 300)] },
      ].sort((p, q) => (p.object < q.object ? -1 : 1));
      expect(await rowsOf(bob.id)).toEqual(expectedBob);
      expect(await rowsOf(carol.id)).toEqual([]);
      expect(await rowsOf(dave.id)).toEqual([{ object: shared, bytes: 200, entries: [entry(w, 800, '')] }]);
      expect(await rowsOf(erin.id)).toEqual(
        [
          { object: alone, bytes: 700, entries: [entry(z, 0)] },
          { object: shared, bytes: 800, entries: [entry(x, 0), entry(y, 300)] },
        ].sort((p, q) => (p.object < q.object ? -1 : 1)),
      );
      // A row keeps when its files were last used: the cleanup's day is counted from then.
      expect((await packsOf(asDb, alice.id)).find((p) => p.object === alone)!.createdAt.getTime()).toBe(long.getTime());
      // Scan passes are a cache, not carried over: a file is scanned again when next deployed.
      expect(await db.select().from(packScans)).toEqual([]);

      expect(await totals(asDb, alice.id)).toEqual({ kept: 1700, sum: 1700 });
      expect(await totals(asDb, bob.id)).toEqual({ kept: 1200, sum: 1200 });
      expect(await totals(asDb, carol.id)).toEqual({ kept: 0, sum: 0 });
      expect(await totals(asDb, dave.id)).toEqual({ kept: 200, sum: 200 });
      expect(await totals(asDb, erin.id)).toEqual({ kept: 1500, sum: 1500 });

      // Read per user from the objects where they were: each user's own files, at their offsets.
      const store = new BlobStore(asDb);
      for (const f of [x, y, w, z]) expect((await store.get(alice.id, f.sha256)).equals(f.bytes)).toBe(true);
      for (const f of [y, z]) expect((await store.get(bob.id, f.sha256)).equals(f.bytes)).toBe(true);
      await expect(store.get(bob.id, x.sha256)).rejects.toThrow(/is not stored/);
      // SHA-1 as kept, or computed from the bytes for the file stored without one.
      expect(await store.sha1Many(alice.id, [x.sha256, w.sha256])).toEqual(
        new Map([
          [x.sha256, sha1Hex(x.bytes)],
          [w.sha256, sha1Hex(w.bytes)],
        ]),
      );

      // Counting on from there: new packs are added to the totals, removed ones taken off.
      const v = file(64);
      await store.put(carol.id, v.sha256, v.bytes);
      expect(await totals(asDb, carol.id)).toEqual({ kept: 64, sum: 64 });
      await db.delete(packs).where(eq(packs.userId, bob.id));
      expect(await totals(asDb, bob.id)).toEqual({ kept: 0, sum: 0 });
      expect(await totals(asDb, alice.id)).toEqual({ kept: 1700, sum: 1700 });
    });
  });
});
