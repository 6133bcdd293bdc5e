// The cleanup's work in the platforms: expired quick-deploy sites removed from the shared accounts,
// deployments stuck with no live runner re-driven or failed (with the platform work they left running
// stopped), and orphaned resources carrying the product's prefix removed. Each site is claimed with a
// conditional UPDATE before it is deleted, so two runs at once never delete the same thing twice.
import { and, eq, inArray, isNotNull, lt, or, sql } from 'drizzle-orm';
import { DEPLOYMENT_PLATFORMS, type DeploymentPlatform } from '@/lib/deployment';
import type { Db } from '../db/client';
import { deployments, sites } from '../db/schema';
import { recordAudit } from '../audit';
import { describeError } from '../http/json';
import type { CallSettings } from '../platforms/adapter';
import { PlatformError } from '../platforms/http';
import { adapterFor } from './adapters';
import type { CleanupReport } from './cleanup';
import { credentialsFor } from './credentials';
import { recordEvent } from './event-store';
import { needsRunner, UNFINISHED_STATUSES } from './lease';
import { releaseUnusedPlace } from './policy';

const CLAIM_MS = 10 * 60 * 1000;

/** Expired platform-managed sites: delete the Worker / branch, then mark site and deployments expired. */
export async function expireSites(db: Db, now: Date, batch: number, report: CleanupReport, settings: CallSettings) {
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
      const credentials = await credentialsFor(db, site);
      if (!credentials) throw new PlatformError('auth', `Quick deploy credentials for ${site.platform} are not configured.`);
      if (site.externalId)
        await adapter.remove(credentials, { externalId: site.externalId, externalProjectId: site.externalProjectId }, site.authMode, settings);
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
export async function reconcileStuck(db: Db, now: Date, batch: number, report: CleanupReport, settings: CallSettings, redrive?: (id: string) => void) {
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
    .where(needsRunner())
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
      .where(and(eq(deployments.id, d.id), needsRunner()))
      .returning({ id: deployments.id, siteId: deployments.siteId, authMode: deployments.authMode });
    if (failed.length) {
      await releaseUnusedPlace(db, failed[0]!, now);
      await recordEvent(db, d.id, { status: 'error', step: 'error', message: 'Deployment timed out: it could not finish in time. Deploy again.' });
      report.reconciled++;
      try {
        const credentials = await credentialsFor(db, d);
        if (credentials) await adapterFor(d.platform).abandon(credentials, d.checkpoint, settings);
      } catch (err) {
        report.failures.push({ action: 'stop-job', target: d.id, reason: err instanceof PlatformError ? err.message : describeError(err) });
      }
    }
  }
  report.remaining.reconciled = Math.max(0, stuck.length - batch);
}

/** Resources with the product's prefix in the shared accounts that no live site owns. */
export async function removeOrphans(db: Db, now: Date, report: CleanupReport, settings: CallSettings) {
  for (const platform of DEPLOYMENT_PLATFORMS) {
    let adapter;
    try {
      adapter = adapterFor(platform as DeploymentPlatform);
    } catch {
      continue; // not deployable yet
    }
    const credentials = await credentialsFor(db, { platform, authMode: 'platform-managed' });
    if (!credentials) continue;
    try {
      const resources = await adapter.listManagedResources(credentials, settings);
      if (!resources.length) continue;
      const owned = await db
        .select({ externalId: sites.externalId, externalProjectId: sites.externalProjectId })
        .from(sites)
        .where(and(eq(sites.platform, platform), eq(sites.authMode, 'platform-managed'), inArray(sites.status, ['active', 'expiring'])));
      // A site whose first deployment is running has no external id yet: its resource is not an orphan.
      const inFlight = await db
        .select({ checkpoint: deployments.checkpoint })
        .from(deployments)
        .where(and(eq(deployments.platform, platform), inArray(deployments.status, [...UNFINISHED_STATUSES])));
      const keep = new Set([...owned.map((o) => o.externalId), ...inFlight.flatMap((d) => Object.values(d.checkpoint).filter((v) => typeof v === 'string'))]);
      for (const resource of resources) {
        if (!resource.externalId || keep.has(resource.externalId)) continue;
        try {
          await adapter.remove(credentials, resource, 'platform-managed', settings);
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
