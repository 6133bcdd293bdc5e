// The bytes a user holds are kept as a running total (user_storage, by triggers on user_blobs): the
// quota reads one row instead of summing every file the user holds. The total must always be that sum.
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { signUp } from '@/server/auth/accounts';
import { useTestDb } from '@/testing/db';
import { upgradedFrom } from '@/testing/upgraded-db';
import type { Db } from '../db/client';
import { blobs, userBlobs, users, userStorage } from '../db/schema';
import { sha256Hex } from './blob-keys';
import { BlobStore } from './blob-store';
import { collectBlobs, releaseUnreferencedHoldings } from './cleanup-blobs';

const getDb = useTestDb();
const DAY = 24 * 3600_000;

const newUser = async (db: Db) => signUp(db, { email: `s-${randomBytes(4).toString('hex')}@huskit.test`, password: 'a long enough test password' });
const file = (size: number) => {
  const bytes = randomBytes(size);
  return { sha256: sha256Hex(bytes), bytes };
};

/** The running total, and the sum it stands for. */
async function totals(db: Db, userId: string): Promise<{ kept: number; sum: number }> {
  const [kept] = await db.select({ bytes: userStorage.bytes }).from(userStorage).where(eq(userStorage.userId, userId));
  const [sum] = await db
    .select({ bytes: sql<string>`coalesce(sum(${blobs.size}), 0)` })
    .from(userBlobs)
    .innerJoin(blobs, eq(blobs.sha256, userBlobs.sha256))
    .where(eq(userBlobs.userId, userId));
  return { kept: kept?.bytes ?? 0, sum: Number(sum!.bytes) };
}

describe("a user's stored bytes", () => {
  it('follow every holding added, added again, shared, released and collected, and go with the user; a blob someone holds is not collected', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const [alice, bob] = [await newUser(db), await newUser(db)];
    const [a, b, c] = [file(1000), file(2500), file(40)];

    await store.putMany(alice.id, [a, b]);
    expect(await totals(db, alice.id)).toEqual({ kept: 3500, sum: 3500 });
    // The same files again, and one of them with a new one: only what is new counts.
    await store.putMany(alice.id, [a, b]);
    await store.putMany(alice.id, [b, c]);
    expect(await totals(db, alice.id)).toEqual({ kept: 3540, sum: 3540 });
    expect(await store.storageUsed(alice.id)).toBe(3540);
    // Bob holds one of the same blobs: each holder counts it.
    await store.put(bob.id, a.sha256, a.bytes);
    expect(await totals(db, bob.id)).toEqual({ kept: 1000, sum: 1000 });

    // The cleanup releases holdings no deployment or project names (unused for a day), then the blobs nobody holds.
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    await db.update(userBlobs).set({ createdAt: twoDaysAgo }).where(eq(userBlobs.userId, alice.id));
    // Every blob aged: Bob still holds a (his holding is fresh), so it stays.
    await db
      .update(blobs)
      .set({ createdAt: twoDaysAgo })
      .where(sql`${blobs.sha256} in (${a.sha256}, ${b.sha256}, ${c.sha256})`);
    expect(await releaseUnreferencedHoldings(db, new Date())).toBeGreaterThanOrEqual(3);
    expect(await totals(db, alice.id)).toEqual({ kept: 0, sum: 0 });
    expect(await collectBlobs(db, new Date())).toBeGreaterThanOrEqual(2);
    expect(await db.select({ sha256: blobs.sha256 }).from(blobs).where(eq(blobs.sha256, a.sha256))).toEqual([{ sha256: a.sha256 }]);
    expect(await totals(db, bob.id)).toEqual({ kept: 1000, sum: 1000 });

    // Alice uploads again; then Bob's account is deleted, with his holdings and his total.
    await store.put(alice.id, c.sha256, c.bytes);
    expect(await totals(db, alice.id)).toEqual({ kept: 40, sum: 40 });
    await db.delete(users).where(eq(users.id, bob.id));
    expect(await db.select().from(userStorage).where(eq(userStorage.userId, bob.id))).toEqual([]);
    expect(await totals(db, alice.id)).toEqual({ kept: 40, sum: 40 });
  });

  it('an install upgraded to 0014 starts from what each user held, and counts on from there', async () => {
    await upgradedFrom('0013_manifest_blob_keys', async (db, upgrade) => {
      const [alice, bob] = [await newUser(db as unknown as Db), await newUser(db as unknown as Db)];
      const [a, b] = [file(700), file(300)];
      await db.insert(blobs).values([
        { sha256: a.sha256, size: 700 },
        { sha256: b.sha256, size: 300 },
      ]);
      await db.insert(userBlobs).values([
        { userId: alice.id, sha256: a.sha256 },
        { userId: alice.id, sha256: b.sha256 },
        { userId: bob.id, sha256: b.sha256 },
      ]);
      await upgrade();
      expect(await totals(db as unknown as Db, alice.id)).toEqual({ kept: 1000, sum: 1000 });
      expect(await totals(db as unknown as Db, bob.id)).toEqual({ kept: 300, sum: 300 });
      await db.insert(userBlobs).values({ userId: bob.id, sha256: a.sha256 });
      expect(await totals(db as unknown as Db, bob.id)).toEqual({ kept: 1000, sum: 1000 });
    });
  });
});
