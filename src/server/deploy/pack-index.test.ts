// What a user holds, from their pack rows: entries read back as written, lookups per user, a removed
// pack forgotten though this process cached its entries, and a lost object healed by uploading again.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '@/server/auth/accounts';
import { packs } from '@/server/db/schema';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { newPackId, packKey, sha1Hex, sha256Hex } from './blob-keys';
import { FsObjectStore } from '../storage/fs-store';
import { BlobStore } from './blob-store';
import { decodeEntries, encodeEntries, ENTRY_BYTES, locateHeld, type PackEntry } from './pack-index';

const getDb = useTestDb();
let alice: string;
let bob: string;
beforeAll(async () => {
  const db = await getDb();
  alice = (await signUp(db, { email: uniqueEmail('pack-a'), password: 'a long enough password' })).id;
  bob = (await signUp(db, { email: uniqueEmail('pack-b'), password: 'a long enough password' })).id;
});
const file = (n: number) => {
  const bytes = randomBytes(n);
  return { sha256: sha256Hex(bytes), bytes };
};

describe('pack entries', () => {
  it('read back as written, 60 bytes each: an unknown SHA-1 as empty, offsets and sizes up to 4 GiB', () => {
    const entries: PackEntry[] = [
      { sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), offset: 0, size: 0 },
      { sha256: 'c'.repeat(64), sha1: '', offset: 123_456, size: 50 * 1024 * 1024 },
      { sha256: 'd'.repeat(64), sha1: 'e'.repeat(40), offset: 2 ** 32 - 2, size: 1 },
    ];
    const bytes = encodeEntries(entries);
    expect(bytes.length).toBe(3 * ENTRY_BYTES);
    expect(decodeEntries(bytes)).toEqual(entries);
    expect(() => decodeEntries(bytes.subarray(1))).toThrow(/not a multiple of 60/);
  });
});

describe("a user's holdings", () => {
  it('are theirs alone: one row per upload request, each file found at its offset with its SHA-1', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const [a, b, c] = [file(300), file(500), file(700)];
    await store.putMany(alice, [a, b]);
    await store.putMany(bob, [c]);
    const found = await locateHeld(db, alice, [a.sha256, b.sha256, c.sha256]);
    expect([...found.keys()].sort()).toEqual([a.sha256, b.sha256].sort());
    const at = found.get(b.sha256)!;
    expect(at).toMatchObject({ offset: 300, size: 500, sha1: sha1Hex(b.bytes), files: 2, index: 1 });
    const [row] = await db.select().from(packs).where(eq(packs.id, at.pack));
    expect(row).toMatchObject({ userId: alice, object: at.object, bytes: 800 });
    expect(decodeEntries(row!.entries).map((e) => e.sha256)).toEqual([a.sha256, b.sha256]);
    expect((await store.get(alice, b.sha256)).equals(b.bytes)).toBe(true);
    expect(await store.missing(bob, [a.sha256, c.sha256])).toEqual([a.sha256]);
    await expect(store.get(bob, a.sha256)).rejects.toThrow(/is not stored/);
  });

  it('are found whole while the cache lets go of some of them during the lookup (it holds ~100,000 files)', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const user = (await signUp(db, { email: uniqueEmail('pack-big'), password: 'a long enough password' })).id;
    const small = file(100);
    await store.putMany(user, [small]);
    // A pack this process has not read, of 100,000 files: caching it lets go of every other pack.
    const many = Array.from({ length: 100_000 }, (_, i) => ({ sha256: sha256Hex(Buffer.from(`f${i}`)), sha1: '', offset: 0, size: 0 }));
    const id = newPackId();
    await db.execute(
      sql`insert into packs (id, user_id, object, entries, bytes) values (${id}, ${user}, ${packKey(id)}, decode(${encodeEntries(many).toString('hex')}, 'hex'), 0)`,
    );
    const found = await locateHeld(db, user, [small.sha256, many[0]!.sha256, many[99_999]!.sha256]);
    expect([...found.keys()].sort()).toEqual([small.sha256, many[0]!.sha256, many[99_999]!.sha256].sort());
    expect(found.get(many[99_999]!.sha256)).toMatchObject({ pack: id, index: 99_999, files: 100_000 });
  });

  it('forget a removed pack though this process read its entries', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const d = file(100);
    await store.putMany(alice, [d]);
    const { pack } = (await locateHeld(db, alice, [d.sha256])).get(d.sha256)!;
    await db.delete(packs).where(eq(packs.id, pack));
    expect(await store.missing(alice, [d.sha256])).toEqual([d.sha256]);
  });

  it('whose object was lost: reading says to upload again, and the upload heals it', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const [e, f] = [file(2000), file(3000)];
    await store.putMany(alice, [e, f]);
    const at = (await store.locate(alice, [e.sha256])).get(e.sha256)!;
    await store.objects.delete(at.object);
    await expect(store.get(alice, e.sha256)).rejects.toThrow(/is not stored\. Upload it again/);
    // The row went with its object: both its files are asked for again, and uploading them heals them.
    expect((await store.missing(alice, [e.sha256, f.sha256])).sort()).toEqual([e.sha256, f.sha256].sort());
    expect(await db.execute(sql`select 1 from packs where id = ${at.pack}`).then((r) => (r as unknown as { rows: unknown[] }).rows)).toEqual([]);
    await store.putMany(alice, [e, f]);
    expect((await store.get(alice, e.sha256)).equals(e.bytes)).toBe(true);
    expect((await store.get(alice, f.sha256)).equals(f.bytes)).toBe(true);
  });

  it('read through a store holding none of the objects the database names (a volume not mounted): the row stays, the error says why', async () => {
    const db = await getDb();
    const g = file(1500);
    await new BlobStore(db).putMany(alice, [g]);
    const at = (await locateHeld(db, alice, [g.sha256])).get(g.sha256)!;
    // BLOB_DIR pointing at an empty folder: every object is missing from it.
    const empty = await mkdtemp(path.join(os.tmpdir(), 'huskit-unmounted-'));
    try {
      const unmounted = new BlobStore(db, new FsObjectStore(empty));
      await expect(unmounted.get(alice, g.sha256)).rejects.toThrow(/holds none of the objects the database names.*Nothing was removed/);
      expect(await db.select({ id: packs.id }).from(packs).where(eq(packs.id, at.pack))).toEqual([{ id: at.pack }]);
      // Mounted again: the file reads as it was.
      expect((await new BlobStore(db).get(alice, g.sha256)).equals(g.bytes)).toBe(true);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
