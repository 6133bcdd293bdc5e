// The cleanup's work in storage, user by user (what a user holds is theirs alone: pack-index.ts): of
// their packs unused for a day, those holding nothing their deployments or projects name are removed
// with their objects; those mostly holding such files are written again with only the live ones. Then
// objects no pack row names (an upload stopped between storing its object and recording it) go.
import { Readable } from 'node:stream';
import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/client';
import { byteaBuffer } from '../db/schema/columns';
import { deployments, packs, projectFiles, projects } from '../db/schema';
import { getObjectStore } from '../storage/from-env';
import { isObjectKey, readAll, type ObjectStore } from '../storage/object-store';
import { inBatches, keysMadeBefore, newPackId, packKey } from './blob-keys';
import { loadManifest } from './manifest-store';
import { decodeEntries, insertPack, rememberEntries, type PackEntry } from './pack-index';

/** How long an unreferenced pack, object or chunk is kept: an upload in progress is never collected. */
export const BLOB_GRACE_MS = 24 * 60 * 60 * 1000;

/** Users whose packs one run goes through at most (each reads that user's deployed manifests)... */
const USERS_PER_RUN = 200;
/** ...and for how long: a serverless cron has a few minutes for the whole cleanup. */
const BUDGET_MS = 60_000;

/** A pack whose live files are less than this share of its bytes is written again with only those. */
const REPACK_BELOW = 1 / 2;

export interface PackCollection {
  /** Files users no longer hold (their packs removed, or written again without them). */
  released: number;
  /** Pack rows removed with their objects (written again ones included). */
  packsRemoved: number;
}

/** The files a user's deployments (their manifests) and projects name: what their packs must keep. */
async function liveFilesOf(db: Db, userId: string): Promise<Set<string>> {
  const live = new Set<string>();
  const named = await db.selectDistinct({ hash: deployments.manifestHash }).from(deployments).where(eq(deployments.userId, userId));
  for (const { hash } of named) if (hash) for (const e of Object.values(await loadManifest(db, hash))) live.add(e.sha256);
  const files = await db
    .selectDistinct({ sha256: projectFiles.sha256 })
    .from(projectFiles)
    .innerJoin(projects, eq(projects.id, projectFiles.projectId))
    .where(eq(projects.userId, userId));
  for (const f of files) live.add(f.sha256);
  return live;
}

/**
 * Packs unused for a day that hold nothing live: removed (and their objects, once no row names them);
 * mostly dead ones written again with their live files. A deployment being created marks the packs it
 * uses in its transaction: the delete waits for that row and, finding it fresh, keeps it (the age is
 * checked again on the row the delete waited for); a pack removed first is missing from the create's
 * count, which then asks for the files again.
 */
export async function collectPacks(db: Db, now: Date, budgetMs = BUDGET_MS): Promise<PackCollection> {
  const objects = getObjectStore();
  const cutoff = new Date(now.getTime() - BLOB_GRACE_MS);
  const done: PackCollection = { released: 0, packsRemoved: 0 };
  // A bounded batch of users per run, those gone through longest ago first (a user whose old packs
  // stay live would otherwise come first every run), within a time budget: the next run continues.
  const users = rowsOf<{ userId: string }>(
    await db.execute(sql`
      select s.user_id as "userId" from user_storage s
      where exists (select 1 from packs p where p.user_id = s.user_id and p.created_at < ${cutoff})
      order by s.packs_checked_at nulls first limit ${USERS_PER_RUN}`),
  );
  const started = performance.now();
  for (const { userId } of users) {
    if (userId !== users[0]!.userId && performance.now() - started > budgetMs) break;
    await db.execute(sql`update user_storage set packs_checked_at = ${now} where user_id = ${userId}`);
    // Nothing of a user whose live files cannot all be read (a manifest changed by hand) is removed.
    const live = await liveFilesOf(db, userId).catch((err: unknown) => {
      console.error(`[cleanup] the files user ${userId} deploys cannot be read; their packs are kept:`, err instanceof Error ? err.message : err);
      return null;
    });
    if (!live) continue;
    const stale = rowsOf<{ id: string; object: string; entries: Uint8Array | string }>(
      await db.execute(sql`select id, object, entries from packs where user_id = ${userId} and created_at < ${cutoff} order by id`),
    );
    for (const row of stale) {
      const entries = decodeEntries(byteaBuffer(row.entries));
      const kept = entries.filter((e) => live.has(e.sha256));
      const bytes = (list: PackEntry[]) => list.reduce((n, e) => n + e.size, 0);
      if (kept.length === 0) {
        if (await removePack(db, objects, row.id, cutoff)) {
          done.released += entries.length;
          done.packsRemoved++;
        }
      } else if (bytes(kept) < bytes(entries) * REPACK_BELOW) {
        // A pack that cannot be read (its object lost) is left as it is: the rest of the run goes on.
        const repacked = await repack(db, objects, userId, row, kept, cutoff).catch((err: unknown) => {
          console.error(`[cleanup] the pack ${row.id} cannot be written again:`, err instanceof Error ? err.message : err);
          return false;
        });
        if (repacked) {
          done.released += entries.length - kept.length;
          done.packsRemoved++;
        }
      }
    }
  }
  return done;
}

/** Removes a pack row still unused since `cutoff`, then its object unless another row names it. */
async function removePack(db: Db, objects: ObjectStore, id: string, cutoff: Date): Promise<boolean> {
  const [gone] = await db
    .delete(packs)
    .where(and(eq(packs.id, id), sql`${packs.createdAt} < ${cutoff}`))
    .returning({ object: packs.object });
  if (!gone) return false;
  await deleteUnnamed(db, objects, [gone.object]);
  return true;
}

/**
 * The live files of a mostly dead pack, written as a new pack: the new row replaces the old one in one
 * transaction, which removes the old row only if it is still unused (else the new object goes).
 */
async function repack(db: Db, objects: ObjectStore, userId: string, row: { id: string; object: string }, kept: PackEntry[], cutoff: Date): Promise<boolean> {
  const id = newPackId();
  const parts: Buffer[] = [];
  const entries: PackEntry[] = [];
  let offset = 0;
  for (const e of kept) {
    const bytes = e.size === 0 ? Buffer.alloc(0) : await readAll(await objects.get(row.object, { start: e.offset, end: e.offset + e.size - 1 }));
    parts.push(bytes);
    entries.push({ ...e, offset });
    offset += e.size;
  }
  await objects.put(packKey(id), Readable.from(parts));
  const replaced = await db.transaction(async (tx) => {
    const [gone] = await tx
      .delete(packs)
      .where(and(eq(packs.id, row.id), sql`${packs.createdAt} < ${cutoff}`))
      .returning({ id: packs.id });
    if (!gone) return false;
    await insertPack(tx, userId, { id, object: packKey(id), entries });
    return true;
  });
  if (!replaced) {
    await objects.delete(packKey(id));
    return false;
  }
  rememberEntries(id, entries);
  await deleteUnnamed(db, objects, [row.object]);
  return true;
}

/** Removes those of `keys` that no pack row names; answers how many went. */
async function deleteUnnamed(db: Db, objects: ObjectStore, keys: string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const named = new Set(
    rowsOf<{ object: string }>(await db.execute(sql`select distinct object from packs where object = any(${sql.param(keys)}::text[])`)).map((r) => r.object),
  );
  const unnamed = keys.filter((k) => !named.has(k));
  for (const key of unnamed) await objects.delete(key);
  return unnamed.length;
}

/**
 * Objects no pack row names: packs older than the grace period (the process stopped after storing one
 * and before recording it; their age is in their id), and an older install's own objects of files
 * nobody holds any more.
 */
export async function collectLeftoverObjects(db: Db, now: Date, objects: ObjectStore = getObjectStore()): Promise<number> {
  let deleted = 0;
  for await (const batch of inBatches(keysMadeBefore(objects, 'packs/', now.getTime() - BLOB_GRACE_MS))) deleted += await deleteUnnamed(db, objects, batch);
  // Only keys this store could have written: a stray file, or S3's "folder" marker (`blobs/ab/`), is not
  // ours to delete, and deleting it would fail every run at the same place.
  for await (const batch of inBatches(ours(objects.list('blobs/')))) deleted += await deleteUnnamed(db, objects, batch);
  return deleted;
}

async function* ours(keys: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const key of keys) if (isObjectKey(key)) yield key;
}
