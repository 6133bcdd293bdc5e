// Creating a deployment: everything is checked before anything is written (files, credentials),
// then the site, the deployment, its files and its first event are written in one transaction.
// The platform work happens later, in the runner.
import { and, eq } from 'drizzle-orm';
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import type { Db } from '../db/client';
import { connections, deploymentFiles, deployments, sites } from '../db/schema';
import { AppError } from '../errors';
import { recordAudit } from '../audit';
import { adapterFor } from './adapters';
import { PostgresBlobStore } from './blob-store';
import { recordEvent } from './events';
import { assertBlobsPresent, validateManifest, type ProposedManifest } from './files';

export const PLATFORM_MANAGED_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
export const DEPLOYMENT_DEADLINE_MS = 15 * 60 * 1000;

export interface CreateDeploymentInput {
  userId: string;
  /** The project (chat) the site belongs to; stable across redeploys. */
  chatId: string;
  /** A readable name for the project, used to name resources in the user's own account. */
  siteName?: string;
  platform: DeploymentPlatform;
  authMode: AuthMode;
  manifest: ProposedManifest;
}

const PLATFORM_NAMES: Record<DeploymentPlatform, string> = { cloudflare: 'Cloudflare', amplify: 'AWS Amplify', netlify: 'Netlify', vercel: 'Vercel' };

export async function createDeployment(db: Db, input: CreateDeploymentInput, now = new Date()): Promise<{ deploymentId: string; siteId: string }> {
  const adapter = adapterFor(input.platform);
  const manifest = validateManifest(input.manifest, input.platform);
  await assertBlobsPresent(new PostgresBlobStore(db), input.userId, manifest);
  if (input.authMode === 'platform-managed' && !adapter.platformCredentials())
    throw new AppError('BAD_REQUEST', `Quick deploy to ${PLATFORM_NAMES[input.platform]} is not configured on this server. Deploy to your own account instead.`);
  if (input.authMode === 'user-token') {
    const [connection] = await db
      .select({ id: connections.id })
      .from(connections)
      .where(and(eq(connections.userId, input.userId), eq(connections.platform, input.platform)));
    if (!connection) throw new AppError('BAD_REQUEST', `Connect your ${PLATFORM_NAMES[input.platform]} account in Settings first, then deploy.`);
  }

  const files = Object.entries(manifest);
  const totalSize = files.reduce((n, [, e]) => n + e.size, 0);
  const expiresAt = input.authMode === 'platform-managed' ? new Date(now.getTime() + PLATFORM_MANAGED_LIFETIME_MS) : null;

  return db.transaction(async (tx) => {
    const [site] = await tx
      .insert(sites)
      .values({
        userId: input.userId,
        chatId: input.chatId,
        name: input.siteName ?? input.chatId,
        platform: input.platform,
        authMode: input.authMode,
        expiresAt,
      })
      .onConflictDoUpdate({
        target: [sites.userId, sites.chatId, sites.platform, sites.authMode],
        // A redeploy refreshes the 30 days and brings an expired site back.
        set: { updatedAt: now, expiresAt, status: 'active', ...(input.siteName ? { name: input.siteName } : {}) },
      })
      .returning({ id: sites.id, externalId: sites.externalId, externalProjectId: sites.externalProjectId });
    const [deployment] = await tx
      .insert(deployments)
      .values({
        userId: input.userId,
        siteId: site!.id,
        chatId: input.chatId,
        platform: input.platform,
        authMode: input.authMode,
        externalId: site!.externalId,
        externalProjectId: site!.externalProjectId,
        fileCount: files.length,
        totalSizeBytes: totalSize,
        expiresAt,
        deadlineAt: new Date(now.getTime() + DEPLOYMENT_DEADLINE_MS),
      })
      .returning({ id: deployments.id });
    const id = deployment!.id;
    for (let i = 0; i < files.length; i += 1000) {
      await tx.insert(deploymentFiles).values(
        files.slice(i, i + 1000).map(([path, e]) => ({ deploymentId: id, path, sha256: e.sha256, size: e.size, contentType: e.contentType })),
      );
    }
    await recordEvent(tx, id, { status: 'pending', step: 'queued', progress: 0, message: `Queued: ${files.length} files, ${totalSize} bytes` });
    await recordAudit(tx, {
      userId: input.userId,
      action: 'deployment.create',
      chatId: input.chatId,
      platform: input.platform,
      authMode: input.authMode,
      targetId: id,
      fileCount: files.length,
      totalSizeBytes: totalSize,
    });
    return { deploymentId: id, siteId: site!.id };
  });
}

/** The manifest of a deployment, from its files. */
export async function loadManifest(db: Db, deploymentId: string) {
  const rows = await db.select().from(deploymentFiles).where(eq(deploymentFiles.deploymentId, deploymentId));
  return Object.fromEntries(rows.map((r) => [r.path, { sha256: r.sha256, size: r.size, contentType: r.contentType }]));
}

