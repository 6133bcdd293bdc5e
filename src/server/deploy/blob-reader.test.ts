// Reading a deployment's blobs from packs, on the configured store (a folder, or S3 in the S3 run):
// every byte as stored, in any order, and small neighbours brought by one read of their pack.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '@/server/auth/accounts';
import { packs } from '@/server/db/schema';
import { getObjectStore } from '@/server/storage/from-env';
import type { ObjectStore } from '@/server/storage/object-store';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { packKey, sha256Hex } from './blob-keys';
import { BlobStore } from './blob-store';

const getDb = useTestDb();
let userId: string;
beforeAll(async () => {
  userId = (await signUp(await getDb(), { email: uniqueEmail('reader'), password: 'a long enough password' })).id;
});

/** The configured store, with the reads it is asked for written down. */
function countingReads(objects: ObjectStore): { objects: ObjectStore; reads: string[] } {
  const reads: string[] = [];
  const counted: ObjectStore = {
    kind: objects.kind,
    put: (key, body, options) => objects.put(key, body, options),
    get: (key, range) => {
      reads.push(`get ${key}`);
      return objects.get(key, range);
    },
    local: (key) => {
      reads.push(`local ${key}`);
      return objects.local(key);
    },
    size: (key) => objects.size(key),
    delete: (key) => objects.delete(key),
    list: (prefix) => objects.list(prefix),
  };
  return { objects: counted, reads };
}

const files = (n: number, size: (i: number) => number) =>
  Array.from({ length: n }, (_, i) => {
    const bytes = randomBytes(size(i));
    return { sha256: sha256Hex(bytes), bytes };
  });

describe('reading blobs from packs', () => {
  it('reads 300 small files of one pack, in any order, with one read of the store, each byte for byte', async () => {
    const db = await getDb();
    const batch = files(300, (i) => 1000 + ((i * 37) % 9000));
    await new BlobStore(db).putMany(userId, batch);
    const { objects, reads } = countingReads(getObjectStore());
    const reader = new BlobStore(db, objects).reader(
      userId,
      batch.map((f) => f.sha256),
    );
    try {
      const shuffled = [...batch].sort(() => Math.random() - 0.5);
      for (const f of shuffled) expect((await buffer(await reader.open(f.sha256))).equals(f.bytes)).toBe(true);
    } finally {
      await reader.close();
    }
    // All 300 are entries of one pack row, whose object is the one read.
    const places = await new BlobStore(db).locate(
      userId,
      batch.map((f) => f.sha256),
    );
    const [pack, ...others] = new Set([...places.values()].map((p) => p.pack));
    expect(others).toEqual([]);
    expect(places.get(batch[0]!.sha256)!.files).toBe(300);
    expect(reads).toEqual([`local ${packKey(pack!)}`]);
  });

  it('gives the right bytes read out of order, concurrently, twice, and for files too large for a window', async () => {
    const db = await getDb();
    const batch = [...files(40, () => 50_000), ...files(3, () => 600_000)];
    await new BlobStore(db).putMany(userId, batch);
    const reader = new BlobStore(db).reader(
      userId,
      batch.map((f) => f.sha256),
    );
    const shuffled = [...batch, ...batch].sort(() => Math.random() - 0.5);
    const read = await Promise.all(shuffled.map(async (f) => ({ f, bytes: await buffer((await reader.open(f.sha256)) as Readable) })));
    await reader.close();
    for (const { f, bytes } of read) expect(bytes.equals(f.bytes)).toBe(true);
  });

  it('reads bytes from where they moved after the reader looked them up (their pack written again by the cleanup)', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const [first, second, moved, other, alone] = files(5, () => 300);
    await store.putMany(userId, [first!, second!]);
    await store.putMany(userId, [moved!, other!]);
    // A file stored on its own (a pack of one) is read straight from the store, not from a local copy.
    await store.put(userId, alone!.sha256, alone!.bytes);
    const reader = store.reader(
      userId,
      [first, second, moved, alone].map((f) => f!.sha256),
    );
    // The second open looks every file up at once: `moved` and `alone` are placed, not opened yet.
    expect((await buffer(await reader.open(first!.sha256))).equals(first!.bytes)).toBe(true);
    expect((await buffer(await reader.open(second!.sha256))).equals(second!.bytes)).toBe(true);
    // What the cleanup does to a mostly dead pack: the live file into a new pack, the old row and object gone.
    for (const f of [moved!, alone!]) {
      const old = (await store.locate(userId, [f.sha256])).get(f.sha256)!;
      await store.record(await store.receive(f.sha256, f.bytes), userId);
      await db.delete(packs).where(eq(packs.id, old.pack));
      await store.objects.delete(old.object);
      expect((await store.locate(userId, [f.sha256])).get(f.sha256)!.pack).not.toBe(old.pack);
      expect((await buffer(await reader.open(f.sha256))).equals(f.bytes)).toBe(true);
    }
    await reader.close();
  });

  it('says which file to upload again when its pack is gone', async () => {
    const db = await getDb();
    const batch = files(2, () => 100);
    const store = new BlobStore(db);
    await store.putMany(userId, batch);
    const { object } = (await store.locate(userId, [batch[0]!.sha256])).get(batch[0]!.sha256)!;
    await store.objects.delete(object);
    const reader = store.reader(
      userId,
      batch.map((f) => f.sha256),
    );
    await expect(reader.open(batch[1]!.sha256)).rejects.toThrow(`The file with SHA-256 ${batch[1]!.sha256} is not stored. Upload it again.`);
    await reader.close();
  });
});
