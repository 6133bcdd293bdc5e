// The cleanup's work in storage: users' holds on files nothing of theirs uses are released, blobs
// nothing refers to are deleted with their objects, and packs no blob names are removed.
import { and, eq, inArray, lt, notExists, sql, type SQLWrapper } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { blobs, manifests, projectFiles, projects, userBlobs } from '../db/schema';
import { getObjectStore } from '../storage/from-env';
import { blobKey, packKey, packMadeAt } from './blob-keys';
import { deployedThrough } from './manifest-store';

/**
 * A stored manifest names the blob, through the GIN index on manifest_blob_keys(files) (drizzle/0013):
 * the first 64 bits of its hash. A manifest naming another blob with the same 64 bits would only keep this one.
 */
const names = (sha256: SQLWrapper) => sql`manifest_blob_keys(${manifests.files}) @> array[('x' || left(${sha256}, 16))::bit(64)::bigint]`;

/** How long an unreferenced blob, hold, pack or chunk is kept: an upload in progress is never collected. */
export const BLOB_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * A user's hold on a file they uploaded but none of their projects or deployments uses (an abandoned
 * upload), after a day: it stops counting against their storage quota.
 */
export async function releaseUnreferencedHoldings(db: Db, now: Date): Promise<number> {
  const released = await db
    .delete(userBlobs)
    .where(
      and(
        lt(userBlobs.createdAt, new Date(now.getTime() - BLOB_GRACE_MS)),
        notExists(
          db
            .select({ one: sql`1` })
            .from(projectFiles)
            .innerJoin(projects, eq(projects.id, projectFiles.projectId))
            .where(and(eq(projectFiles.sha256, userBlobs.sha256), eq(projects.userId, userBlobs.userId))),
        ),
        // The manifests naming the file (the index), then whether one of the user's deployments is of one (or of a delta of one).
        notExists(
          db
            .select({ one: sql`1` })
            .from(manifests)
            .where(and(names(userBlobs.sha256), deployedThrough(db, userBlobs.userId))),
        ),
      ),
    )
    .returning({ sha256: userBlobs.sha256 });
  return released.length;
}

/**
 * Blobs nobody holds and no deployment or project refers to, untouched for a day (an upload in
 * progress touches its blob first), in batches. Their objects are removed while the rows are still locked: an upload of the
 * same bytes meanwhile waits on its touch of the row, so its object lands after the removal, never before.
 */
export async function collectBlobs(db: Db, now: Date): Promise<number> {
  const objects = getObjectStore();
  let deleted = 0;
  for (;;) {
    const batch = await db.transaction(async (tx) => {
      const stale = lt(blobs.createdAt, new Date(now.getTime() - BLOB_GRACE_MS));
      const rows = await tx
        .delete(blobs)
        .where(
          and(
            // Again on the row deleted: one an upload touched while this waited on its lock is fresh
            // now (PostgreSQL rechecks only this outer condition, not the subquery's), and stays.
            stale,
            inArray(
              blobs.sha256,
              tx
                .select({ sha256: blobs.sha256 })
                .from(blobs)
                .where(
                  and(
                    stale,
                    // A manifest a deployment names (itself or through a delta of it) keeps its files. One no
                    // deployment names (a proposal's, stored at negotiate, whose files anyone may list) keeps
                    // none: create looks its files up again.
                    notExists(
                      tx
                        .select({ one: sql`1` })
                        .from(manifests)
                        .where(and(names(blobs.sha256), deployedThrough(tx))),
                    ),
                    notExists(
                      tx
                        .select({ one: sql`1` })
                        .from(projectFiles)
                        .where(eq(projectFiles.sha256, blobs.sha256)),
                    ),
                    // Nobody holds it any more (releaseUnreferencedHoldings lets go of holdings first): a user
                    // holding it may deploy it, and the bytes they hold are counted from it (user_storage).
                    notExists(
                      tx
                        .select({ one: sql`1` })
                        .from(userBlobs)
                        .where(eq(userBlobs.sha256, blobs.sha256)),
                    ),
                  ),
                )
                .limit(500),
            ),
          ),
        )
        .returning({ sha256: blobs.sha256, pack: blobs.pack });
      // Its own object too when it lives in a pack: a copy stored alone before may have been superseded.
      for (const r of rows) await objects.delete(blobKey(r.sha256));
      // A pack goes once none of its blobs is left (new uploads never point into an existing pack).
      await deleteUnnamedPacks(tx, [...new Set(rows.flatMap((r) => (r.pack === null ? [] : [r.pack])))]);
      return rows.length;
    });
    deleted += batch;
    if (batch < 500) return deleted;
  }
}

/**
 * Packs older than the grace period that no blob names (the process stopped after storing a pack and
 * before recording its files, or its files moved to copies uploaded later): removed. Their age is in their id.
 */
export async function collectLeftoverPacks(db: Db, now: Date): Promise<number> {
  const objects = getObjectStore();
  const old: string[] = [];
  for await (const key of objects.list('packs/')) {
    const pack = key.slice('packs/'.length);
    if (/^[0-9a-f-]{36}$/.test(pack) && packMadeAt(pack) < now.getTime() - BLOB_GRACE_MS) old.push(pack);
  }
  let deleted = 0;
  for (let i = 0; i < old.length; i += 1000) deleted += await deleteUnnamedPacks(db, old.slice(i, i + 1000));
  return deleted;
}

/** Removes those of `packs` that no blob row names; answers how many went. */
async function deleteUnnamedPacks(db: Db | Tx, packs: string[]): Promise<number> {
  if (packs.length === 0) return 0;
  const kept = await db
    .selectDistinct({ pack: blobs.pack })
    .from(blobs)
    .where(sql`${blobs.pack} = any(${sql.param(packs)}::uuid[])`);
  const live = new Set(kept.map((k) => k.pack));
  const unnamed = packs.filter((p) => !live.has(p));
  for (const pack of unnamed) await getObjectStore().delete(packKey(pack));
  return unnamed.length;
}
