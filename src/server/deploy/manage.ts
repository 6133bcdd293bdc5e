// What a user does with deployments after creating them: read them, follow their log, redeploy,
// roll back, cancel, and delete the site. Every query is scoped to the user; another user's
// deployment is "not found", never "forbidden".
import { and, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import type { DeploymentPlatform, DeploymentStatus, DeploymentSummary } from '@/lib/deployment';
import type { Db } from '../db/client';
import { deployments, sites } from '../db/schema';
import { recordAudit } from '../audit';
import { AppError, notFound } from '../errors';
import { adapterFor } from './adapters';
import { credentialsFor } from './credentials';
import { needsRunnerColumn, UNFINISHED_STATUSES } from './lease';
import { eventsAfter, recordEvent } from './event-store';
import { loadManifest } from './manifest-store';
import { releaseUnusedPlace } from './policy';
import { createDeployment, type CreateOptions } from './service';
import { processDeploySettings } from './settings';

const summary = {
  id: deployments.id,
  siteId: deployments.siteId,
  chatId: deployments.chatId,
  platform: deployments.platform,
  authMode: deployments.authMode,
  status: deployments.status,
  step: deployments.step,
  progress: deployments.progress,
  url: deployments.url,
  error: deployments.error,
  fileCount: deployments.fileCount,
  totalSizeBytes: deployments.totalSizeBytes,
  createdAt: deployments.createdAt,
  finishedAt: deployments.finishedAt,
  expiresAt: deployments.expiresAt,
};

export async function getDeployment(db: Db, userId: string, id: string): Promise<DeploymentSummary> {
  const [row] = await db
    .select(summary)
    .from(deployments)
    .where(and(eq(deployments.id, id), eq(deployments.userId, userId)));
  if (!row) throw notFound('That deployment');
  return row;
}

export async function listDeployments(
  db: Db,
  userId: string,
  filter: { platform?: DeploymentPlatform; status?: DeploymentStatus; chatId?: string; cursor?: Date; limit: number },
): Promise<{ items: DeploymentSummary[]; nextCursor: Date | null }> {
  const where: SQL[] = [eq(deployments.userId, userId)];
  if (filter.platform) where.push(eq(deployments.platform, filter.platform));
  if (filter.status) where.push(eq(deployments.status, filter.status));
  if (filter.chatId) where.push(eq(deployments.chatId, filter.chatId));
  if (filter.cursor) where.push(lt(deployments.createdAt, filter.cursor));
  const rows = await db
    .select(summary)
    .from(deployments)
    .where(and(...where))
    .orderBy(desc(deployments.createdAt))
    .limit(filter.limit + 1);
  const items = rows.slice(0, filter.limit);
  return { items, nextCursor: rows.length > filter.limit ? items[items.length - 1]!.createdAt : null };
}

/**
 * One of the user's deployments, whole, as a client that polls its status sees it. An unfinished one
 * whose runner died (its lease lapsed) is handed to `redrive`.
 */
export async function pollDeployment(db: Db, userId: string, id: string, redrive: (deploymentId: string) => void) {
  const [found] = await db
    .select({ row: deployments, needsRunner: needsRunnerColumn() })
    .from(deployments)
    .where(and(eq(deployments.id, id), eq(deployments.userId, userId)));
  if (!found) throw notFound('That deployment');
  if (found.needsRunner) redrive(id);
  return found.row;
}

export async function deploymentLog(db: Db, userId: string, id: string) {
  await getDeployment(db, userId, id);
  return eventsAfter(db, id);
}

/** Stops a deployment that has not finished; the runner notices at its next step and lets go. */
export async function cancelDeployment(db: Db, userId: string, id: string): Promise<void> {
  const d = await getDeployment(db, userId, id);
  const done = await db
    .update(deployments)
    .set({ status: 'canceled', step: 'canceled', leaseOwner: null, leaseUntil: null, finishedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(deployments.id, id), inArray(deployments.status, [...UNFINISHED_STATUSES])))
    .returning({ id: deployments.id, siteId: deployments.siteId, authMode: deployments.authMode });
  if (done.length === 0) throw new AppError('CONFLICT', `This deployment is already ${d.status}; there is nothing to cancel.`);
  await releaseUnusedPlace(db, done[0]!);
  await recordEvent(db, id, { status: 'canceled', step: 'canceled', message: 'Canceled' });
  await recordAudit(db, { userId, action: 'deployment.cancel', chatId: d.chatId, platform: d.platform, authMode: d.authMode, targetId: id });
}

/** Deploys the files of an earlier deployment again, as a new deployment of the same site. */
async function deployAgain(db: Db, userId: string, source: DeploymentSummary, action: 'redeploy' | 'rollback', options: CreateOptions) {
  const [{ manifestHash } = { manifestHash: null }] = await db
    .select({ manifestHash: deployments.manifestHash })
    .from(deployments)
    .where(eq(deployments.id, source.id));
  if (!manifestHash)
    throw new AppError('CONFLICT', 'The files of this deployment are no longer kept, so it cannot be deployed again. Deploy the site from the editor.');
  const manifest = await loadManifest(db, manifestHash);
  const [site] = source.siteId ? await db.select({ name: sites.name }).from(sites).where(eq(sites.id, source.siteId)) : [];
  const created = await createDeployment(
    db,
    {
      userId,
      chatId: source.chatId,
      siteName: site?.name,
      platform: source.platform,
      authMode: source.authMode,
      manifest,
      ...(action === 'rollback' ? { rollbackOf: source.id } : {}),
    },
    options,
  );
  await recordAudit(db, {
    userId,
    action: `deployment.${action}`,
    chatId: source.chatId,
    platform: source.platform,
    authMode: source.authMode,
    targetId: created.deploymentId,
    fileCount: Object.keys(manifest).length,
    detail: { from: source.id },
  });
  return created;
}

export async function redeploy(db: Db, userId: string, id: string, options: CreateOptions = {}) {
  return deployAgain(db, userId, await getDeployment(db, userId, id), 'redeploy', options);
}

/** Makes an earlier ready deployment of a site live again (its files, deployed anew to the same target). */
export async function rollback(db: Db, userId: string, id: string, options: CreateOptions = {}) {
  const source = await getDeployment(db, userId, id);
  if (source.status !== 'ready' && source.status !== 'expired')
    throw new AppError('BAD_REQUEST', 'Only a deployment that went live can be rolled back to. Pick one marked ready.');
  return deployAgain(db, userId, source, 'rollback', options);
}

/**
 * Removes the site from its platform (Worker / branch) and marks it deleted; its history stays. The
 * platform calls follow `settings` (this process's unless given).
 */
export async function deleteSite(db: Db, userId: string, deploymentId: string, { settings }: Pick<CreateOptions, 'settings'> = {}): Promise<void> {
  const d = await getDeployment(db, userId, deploymentId);
  if (!d.siteId) throw notFound('The site of that deployment');
  const [site] = await db
    .select()
    .from(sites)
    .where(and(eq(sites.id, d.siteId), eq(sites.userId, userId)));
  if (!site || site.status === 'deleted') throw notFound('That site');
  const adapter = adapterFor(site.platform);
  const credentials = await credentialsFor(db, site);
  if (credentials && site.externalId)
    await adapter.remove(
      credentials,
      { externalId: site.externalId, externalProjectId: site.externalProjectId },
      site.authMode,
      settings ?? processDeploySettings(),
    );
  await db.transaction(async (tx) => {
    await tx.update(sites).set({ status: 'deleted', url: null, updatedAt: new Date() }).where(eq(sites.id, site.id));
    await tx
      .update(deployments)
      .set({ status: 'canceled', step: 'canceled', leaseOwner: null, leaseUntil: null, updatedAt: new Date() })
      .where(and(eq(deployments.siteId, site.id), inArray(deployments.status, [...UNFINISHED_STATUSES])));
    await recordAudit(tx, {
      userId,
      action: 'site.delete',
      chatId: site.chatId,
      platform: site.platform,
      authMode: site.authMode,
      targetId: site.id,
      detail: { url: site.url },
    });
  });
}
