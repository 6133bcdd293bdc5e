// The lifecycle job (the host's daily cron, `npm run cleanup`, the admin button): removes expired quick-deploy
// sites from the shared infrastructure, settles deployments stuck past their deadline, removes
// orphaned platform resources (cleanup-platforms.ts), and deletes stored files nothing refers to
// (cleanup-blobs.ts). Bounded batches fit one serverless invocation; what is left is reported for the
// next run.
import type { Db } from '../db/client';
import { recordAudit } from '../audit';
import { pruneExpiredSessions } from '../auth/session';
import { pruneAuthAttempts } from '../auth/throttle';
import { getObjectStore } from '../storage/from-env';
import { FsObjectStore } from '../storage/fs-store';
import { BlobStore } from './blob-store';
import { collectOrphanParts } from './blob-chunks';
import { BLOB_GRACE_MS, collectLeftoverObjects, collectPacks } from './cleanup-blobs';
import { expireSites, reconcileStuck, removeOrphans } from './cleanup-platforms';
import { collectLeftoverManifests, collectManifests } from './manifest-store';
import { deleteExpiredProposedManifests } from './proposed-manifests';
import { processDeploySettings, type DeploySettings } from './settings';

export interface CleanupOptions {
  now?: Date;
  batchSize?: number;
  /** Re-drives a stuck deployment that still has time; by default it is failed instead. */
  redrive?: (deploymentId: string) => void;
  /** Of the platform calls (removals, stops); this process's unless given. */
  settings?: DeploySettings;
}

export interface CleanupReport {
  expired: number;
  reconciled: number;
  orphansRemoved: number;
  /** Stored packs removed with their rows: nothing live left in them, or written again with only the live files. */
  blobsDeleted: number;
  /** Objects no row names, a day old: an upload cut short between storing its pack and recording it, a manifest's. */
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
  /** Stored file lists no deployment names any more (src/server/deploy/manifest-store.ts). */
  unusedManifestsDeleted: number;
  failures: { action: string; target: string; reason: string }[];
  remaining: { expired: number; reconciled: number };
}

export async function runCleanup(db: Db, options: CleanupOptions = {}): Promise<CleanupReport> {
  const now = options.now ?? new Date();
  const batch = options.batchSize ?? 50;
  const settings = options.settings ?? processDeploySettings();
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
    unusedManifestsDeleted: 0,
    failures: [],
    remaining: { expired: 0, reconciled: 0 },
  };

  await expireSites(db, now, batch, report, settings);
  await reconcileStuck(db, now, batch, report, settings, options.redrive);
  await removeOrphans(db, now, report, settings);
  // What names files first, then the files nothing names any more.
  report.manifestsDeleted = await deleteExpiredProposedManifests(db, now);
  report.unusedManifestsDeleted = await collectManifests(db, now);
  const collected = await collectPacks(db, now);
  report.heldReleased = collected.released;
  report.blobsDeleted = collected.packsRemoved;
  report.packsDeleted = (await collectLeftoverObjects(db, now)) + (await collectLeftoverManifests(db, now));
  const blobs = new BlobStore(db);
  report.staleChunksDeleted = (await blobs.pruneStaleChunks(BLOB_GRACE_MS)) + (await collectOrphanParts(blobs, now.getTime() - BLOB_GRACE_MS));
  // Temporary files of writes a crash cut short (the folder store only; S3 writes are whole or nothing).
  const objects = getObjectStore();
  if (objects instanceof FsObjectStore) await objects.sweepTemporary(BLOB_GRACE_MS);
  report.authAttemptsDeleted = await pruneAuthAttempts(db, new Date(now.getTime() - 24 * 60 * 60 * 1000));
  report.sessionsDeleted = await pruneExpiredSessions(db, now);

  await recordAudit(db, { userId: null, action: 'cleanup.run', outcome: report.failures.length ? 'partial' : 'ok', detail: { ...report } });
  return report;
}
