// The lifecycle job (the host's daily cron, `npm run cleanup`, the admin button): removes expired quick-deploy
// sites from the shared infrastructure, settles deployments stuck past their deadline, removes
// orphaned platform resources, and deletes blobs nothing refers to. Bounded batches fit one
// serverless invocation; what is left is reported for the next run. Each site is claimed with a
// conditional UPDATE before it is deleted, so two runs at once never delete the same thing twice.
import { and, eq, inArray, isNotNull, isNull, lt, notExists, or, sql } from 'drizzle-orm';
import { DEPLOYMENT_PLATFORMS, type DeploymentPlatform } from '@/lib/deployment';
import type { Db, Tx } from '../db/client';
import { blobs, deploymentFiles, deployments, projectFiles, projects, sites, userBlobs } from '../db/schema';
import { recordAudit } from '../audit';
import { pruneExpiredSessions } from '../auth/session';
import { pruneAuthAttempts } from '../auth/throttle';
import { readConnectionCredentials } from '../connections/store';
import { describeError } from '../http/json';
import { PlatformError } from '../platforms/http';
import { adapterFor } from './adapters';
import { blobKey, BlobStore, packKey, packMadeAt } from './blob-store';
import { getObjectStore } from '../storage/from-env';
import { FsObjectStore } from '../storage/fs-store';
import { recordEvent } from './events';
import { releaseUnusedPlace } from './policy';
import { deleteExpiredProposedManifests } from './proposed-manifests';

export interface CleanupOptions {
  now?: Date;
  batchSize?: number;
  /** Re-drives a stuck deployment that still has time; by default it is failed instead. */
  redrive?: (deploymentId: string) => void;
}

export interface CleanupReport {
  expired: number;
  reconciled: number;
  orphansRemoved: number;
  blobsDeleted: number;
  /** Packs no blob names: an upload cut short between storing its pack and recording its files. */
  packsDeleted: number;
  /** Files users no longer refer to, released from their storage quota. */
  heldReleased: number;
  /** Parts of large uploads nobody finished. */
  staleChunksDeleted: number;
  /** Sign-in / sign-up attempts older than every throttle window. */
  authAttemptsDeleted: number;
  /** Sessions past their expiry. */
  sessionsDeleted: number;
  /** Negotiated manifests past their hour (src/server/deploy/proposed-manifests.ts). */
  manifestsDeleted: number;
  failures: { action: string; target: string; reason: string }[];
  remaining: { expired: number; reconciled: number };
}

const CLAIM_MS = 10 * 60 * 1000;
const BLOB_GRACE_MS = 24 * 60 * 60 * 1000;

export async function runCleanup(db: Db, options: CleanupOptions = {}): Promise<CleanupReport> {
  const now = options.now ?? new Date();
  const batch = options.batchSize ?? 50;
  const report: CleanupReport = {
    expired: 0,
    reconciled: 0,
    orphansRemoved: 0,
    blobsDeleted: 0,
    packsDeleted: 0,
    heldReleased: 0,
    staleChunksDeleted: 0,
    authAttemptsDeleted: 0,
    sessionsDeleted: 0,
    manifestsDeleted: 0,
    failures: [],
    remaining: { expired: 0, reconciled: 0 },
  };

  await expireSites(db, now, batch, report);
  await reconcileStuck(db, now, batch, report, options.redrive);
  await removeOrphans(db, now, report);
  report.heldReleased = await releaseUnreferencedHoldings(db, now);
  report.blobsDeleted = await collectBlobs(db, now);
  report.packsDeleted = await collectLeftoverPacks(db, now);
  report.staleChunksDeleted = await new BlobStore(db).pruneStaleChunks(BLOB_GRACE_MS);
  // Temporary files of writes a crash cut short (the folder store only; S3 writes are whole or nothing).
  const objects = getObjectStore();
  if (objects instanceof FsObjectStore) await objects.sweepTemporary(BLOB_GRACE_MS);
  report.authAttemptsDeleted = await pruneAuthAttempts(db, new Date(now.getTime() - 24 * 60 * 60 * 1000));
  report.sessionsDeleted = await pruneExpiredSessions(db, now);
  report.manifestsDeleted = await deleteExpiredProposedManifests(db, now);

  await recordAudit(db, { userId: null, action: 'cleanup.run', outcome: report.failures.length ? 'partial' : 'ok', detail: { ...report } });
  return report;
}

/** Expired platform-managed sites: delete the Worker / branch, then mark site and deployments expired. */
async function expireSites(db: Db, now: Date, batch: number, report: CleanupReport) {
  // Claim a batch: a site being removed carries a claim time, so an overlapping run skips it.
  const claimed = await db
    .update(sites)
    .set({ updatedAt: now, status: 'expiring' })
    .where(
      inArray(
        sites.id,
        db
          .select({ id: sites.id })
          .from(sites)
          .where(
            and(
              eq(sites.authMode, 'platform-managed'),
              isNotNull(sites.expiresAt),
              lt(sites.expiresAt, now),
              or(eq(sites.status, 'active'), and(eq(sites.status, 'expiring'), lt(sites.updatedAt, new Date(now.getTime() - CLAIM_MS)))),
            ),
          )
          .limit(batch)
          .for('update', { skipLocked: true }),
      ),
    )
    .returning();

  for (const site of claimed) {
    try {
      const adapter = adapterFor(site.platform);
      const credentials = adapter.platformCredentials();
      if (!credentials) throw new PlatformError('auth', `Quick deploy credentials for ${site.platform} are not configured.`);
      if (site.externalId) await adapter.remove(credentials, { externalId: site.externalId, externalProjectId: site.externalProjectId });
      await db.transaction(async (tx) => {
        await tx.update(sites).set({ status: 'expired', url: null, updatedAt: now }).where(eq(sites.id, site.id));
        await tx
          .update(deployments)
          .set({ status: 'expired', updatedAt: now, leaseOwner: null, leaseUntil: null })
          .where(and(eq(deployments.siteId, site.id), inArray(deployments.status, ['ready', 'pending', 'building'])));
        await recordAudit(tx, {
          userId: site.userId,
          action: 'site.expire',
          chatId: site.chatId,
          platform: site.platform,
          authMode: site.authMode,
          targetId: site.id,
          detail: { url: site.url },
        });
      });
      report.expired++;
    } catch (err) {
      // Left for the next run: back to active-but-expired, so it is picked up again.
      await db.update(sites).set({ status: 'active', updatedAt: now }).where(eq(sites.id, site.id));
      report.failures.push({ action: 'expire', target: site.externalId ?? site.id, reason: err instanceof PlatformError ? err.message : describeError(err) });
    }
  }
  const [left] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(sites)
    .where(and(eq(sites.authMode, 'platform-managed'), eq(sites.status, 'active'), lt(sites.expiresAt, now)));
  report.remaining.expired = Math.max(0, (left?.n ?? 0) - report.failures.filter((f) => f.action === 'expire').length);
}

/** Deployments still pending/building with no live lease: re-drive the ones with time left, fail the rest. */
async function reconcileStuck(db: Db, now: Date, batch: number, report: CleanupReport, redrive?: (id: string) => void) {
  const stuck = await db
    .select({
      id: deployments.id,
      deadlineAt: deployments.deadlineAt,
      platform: deployments.platform,
      authMode: deployments.authMode,
      userId: deployments.userId,
      checkpoint: deployments.checkpoint,
    })
    .from(deployments)
    .where(and(inArray(deployments.status, ['pending', 'building']), or(isNull(deployments.leaseUntil), lt(deployments.leaseUntil, now))))
    .limit(batch + 1);
  for (const d of stuck.slice(0, batch)) {
    const late = !d.deadlineAt || d.deadlineAt < now;
    if (!late && redrive) {
      redrive(d.id);
      report.reconciled++;
      continue;
    }
    if (!late) continue;
    const failed = await db
      .update(deployments)
      .set({
        status: 'error',
        error: 'Deployment timed out: it could not finish in time. Deploy again.',
        errorCode: 'timeout',
        step: 'error',
        finishedAt: now,
        updatedAt: now,
      })
      .where(
        and(
          eq(deployments.id, d.id),
          inArray(deployments.status, ['pending', 'building']),
          or(isNull(deployments.leaseUntil), lt(deployments.leaseUntil, now)),
        ),
      )
      .returning({ id: deployments.id, siteId: deployments.siteId, authMode: deployments.authMode });
    if (failed.length) {
      await releaseUnusedPlace(db, failed[0]!, now);
      await recordEvent(db, d.id, { status: 'error', step: 'error', message: 'Deployment timed out: it could not finish in time. Deploy again.' });
      report.reconciled++;
      try {
        const adapter = adapterFor(d.platform);
        const credentials =
          d.authMode === 'platform-managed'
            ? adapter.platformCredentials()
            : adapter.parseCredentials(await readConnectionCredentials(db, d.userId, d.platform));
        if (credentials) await adapter.abandon(credentials, d.checkpoint);
      } catch (err) {
        report.failures.push({ action: 'stop-job', target: d.id, reason: err instanceof PlatformError ? err.message : describeError(err) });
      }
    }
  }
  report.remaining.reconciled = Math.max(0, stuck.length - batch);
}

/** Resources with the product's prefix in the shared accounts that no live site owns. */
async function removeOrphans(db: Db, now: Date, report: CleanupReport) {
  for (const platform of DEPLOYMENT_PLATFORMS) {
    let adapter;
    try {
      adapter = adapterFor(platform as DeploymentPlatform);
    } catch {
      continue; // not deployable yet
    }
    const credentials = adapter.platformCredentials();
    if (!credentials) continue;
    try {
      const resources = await adapter.listManagedResources(credentials);
      if (!resources.length) continue;
      const owned = await db
        .select({ externalId: sites.externalId, externalProjectId: sites.externalProjectId })
        .from(sites)
        .where(and(eq(sites.platform, platform), eq(sites.authMode, 'platform-managed'), inArray(sites.status, ['active', 'expiring'])));
      // A site whose first deployment is running has no external id yet: its resource is not an orphan.
      const inFlight = await db
        .select({ checkpoint: deployments.checkpoint })
        .from(deployments)
        .where(and(eq(deployments.platform, platform), inArray(deployments.status, ['pending', 'building'])));
      const keep = new Set([...owned.map((o) => o.externalId), ...inFlight.flatMap((d) => Object.values(d.checkpoint).filter((v) => typeof v === 'string'))]);
      for (const resource of resources) {
        if (!resource.externalId || keep.has(resource.externalId)) continue;
        try {
          await adapter.remove(credentials, resource);
          report.orphansRemoved++;
          await recordAudit(db, { userId: null, action: 'orphan.remove', platform, targetId: resource.externalId, detail: { at: now.toISOString() } });
        } catch (err) {
          report.failures.push({ action: 'orphan', target: resource.externalId, reason: err instanceof PlatformError ? err.message : describeError(err) });
        }
      }
    } catch (err) {
      report.failures.push({ action: 'orphan', target: platform, reason: err instanceof PlatformError ? err.message : describeError(err) });
    }
  }
}

/**
 * A user's hold on a file they uploaded but none of their projects or deployments uses (an abandoned
 * upload), after a day: it stops counting against their storage quota.
 */
async function releaseUnreferencedHoldings(db: Db, now: Date): Promise<number> {
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
        notExists(
          db
            .select({ one: sql`1` })
            .from(deploymentFiles)
            .innerJoin(deployments, eq(deployments.id, deploymentFiles.deploymentId))
            .where(and(eq(deploymentFiles.sha256, userBlobs.sha256), eq(deployments.userId, userBlobs.userId))),
        ),
      ),
    )
    .returning({ sha256: userBlobs.sha256 });
  return released.length;
}

/**
 * Blobs no deployment or project refers to, untouched for a day (an upload in progress touches its
 * blob first), in batches. Their objects are removed while the rows are still locked: an upload of the
 * same bytes meanwhile waits on its touch of the row, so its object lands after the removal, never before.
 */
async function collectBlobs(db: Db, now: Date): Promise<number> {
  const objects = getObjectStore();
  let deleted = 0;
  for (;;) {
    const batch = await db.transaction(async (tx) => {
      const rows = await tx
        .delete(blobs)
        .where(
          inArray(
            blobs.sha256,
            tx
              .select({ sha256: blobs.sha256 })
              .from(blobs)
              .where(
                and(
                  lt(blobs.createdAt, new Date(now.getTime() - BLOB_GRACE_MS)),
                  notExists(
                    tx
                      .select({ one: sql`1` })
                      .from(deploymentFiles)
                      .where(eq(deploymentFiles.sha256, blobs.sha256)),
                  ),
                  notExists(
                    tx
                      .select({ one: sql`1` })
                      .from(projectFiles)
                      .where(eq(projectFiles.sha256, blobs.sha256)),
                  ),
                ),
              )
              .limit(500),
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
async function collectLeftoverPacks(db: Db, now: Date): Promise<number> {
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
