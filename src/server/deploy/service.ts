// Creating a deployment: everything is checked before anything is written (files, credentials),
// then the site, the deployment, its files and its first event are written in one transaction.
// The platform work happens later, in the runner.
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { AUTH_MODES, type AuthMode, type DeploymentPlatform } from '@/lib/deployment';
import type { Manifest } from '@/lib/site-files';
import type { Db } from '../db/client';
import { connections, deploymentFiles, deployments, sites } from '../db/schema';
import { AppError, type ErrorAction } from '../errors';
import { recordAudit } from '../audit';
import { adapterFor } from './adapters';
import { BlobStore } from './blob-store';
import { recordEvent } from './events';
import { assertStoredAsDeclared, decodeInlineFiles, inlineFilesSchema, PendingBlobs, validateManifest, type ProposedManifest } from './files';
import { enforcePolicy, withRejectionRecorded } from './policy';
import { scanSite } from './scan';
import { checkStaticOnly } from './static-only';

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
  /** For a rollback: the earlier deployment (of the same user) whose content goes live again. */
  rollbackOf?: string;
  /** Files of the request not stored yet (the inline REST body): stored only once every check passed. */
  pending?: PendingBlobs;
}

const PLATFORM_NAMES: Record<DeploymentPlatform, string> = { cloudflare: 'Cloudflare', amplify: 'AWS Amplify', netlify: 'Netlify', vercel: 'Vercel' };

export async function createDeployment(db: Db, input: CreateDeploymentInput, now = new Date()): Promise<{ deploymentId: string; siteId: string }> {
  const adapter = adapterFor(input.platform);
  const declared = validateManifest(input.manifest, input.platform);
  const blobs = input.pending ?? new BlobStore(db);
  // Sizes and limits from what was stored, never from what the client declared.
  await assertStoredAsDeclared(blobs, input.userId, declared);
  if (input.authMode === 'platform-managed' && !adapter.platformCredentials())
    throw new AppError('BAD_REQUEST', `Quick deploy to ${PLATFORM_NAMES[input.platform]} is not configured on this server. Deploy to your own account instead.`).withAction(
      'use-own-account',
    );
  if (input.authMode === 'user-token') {
    const [connection] = await db
      .select({ id: connections.id })
      .from(connections)
      .where(and(eq(connections.userId, input.userId), eq(connections.platform, input.platform)));
    if (!connection)
      throw new AppError('UNAUTHORIZED', `Please connect your account first: add your ${PLATFORM_NAMES[input.platform]} account in Settings, then deploy.`).withAction('settings');
  }
  // Refused early (cheap) before the scan reads any bytes; checked again, exactly, when inserting.
  await checkPolicyNow(db, input, now);
  const { manifest, notes } = await checkStaticOnly({
    platform: input.platform,
    mode: input.authMode,
    manifest: declared,
    readText: async (path) => (await blobs.get(declared[path]!.sha256)).toString('utf8'),
  });
  // Quick deploys land in the shared accounts: their content is scanned. A user's own account is theirs.
  if (input.authMode === 'platform-managed') await scanSite(manifest, blobs);
  await input.pending?.commit();

  const expiresAt = input.authMode === 'platform-managed' ? new Date(now.getTime() + PLATFORM_MANAGED_LIFETIME_MS) : null;
  return withRejectionRecorded(db, input, () => insertDeployment(db, input, manifest, notes, now, expiresAt));
}

/** The rate limit and the shared quota, checked now in a short transaction of their own. */
export function checkPolicyNow(db: Db, input: Pick<CreateDeploymentInput, 'userId' | 'chatId' | 'platform' | 'authMode'>, now = new Date()): Promise<void> {
  return withRejectionRecorded(db, input, () => db.transaction((tx) => enforcePolicy(tx, input, now)));
}

async function insertDeployment(db: Db, input: CreateDeploymentInput, manifest: Manifest, notes: string[], now: Date, expiresAt: Date | null) {
  const files = Object.entries(manifest);
  const totalSize = files.reduce((n, [, e]) => n + e.size, 0);
  return db.transaction(async (tx) => {
    await enforcePolicy(tx, input, now);
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
        rollbackOf: input.rollbackOf ?? null,
      })
      .returning({ id: deployments.id });
    const id = deployment!.id;
    // One statement with five array parameters: building thousands of rows as separate parameters
    // costs the query builder more CPU than the database spends inserting them.
    await tx.execute(sql`
      insert into ${deploymentFiles} (deployment_id, path, sha256, size, content_type)
      select ${id}, * from unnest(
        ${sql.param(files.map(([path]) => path))}::text[],
        ${sql.param(files.map(([, e]) => e.sha256))}::text[],
        ${sql.param(files.map(([, e]) => e.size))}::bigint[],
        ${sql.param(files.map(([, e]) => e.contentType))}::text[])`);
    await recordEvent(tx, id, { status: 'pending', step: 'queued', progress: 0, message: `Queued: ${files.length} files, ${totalSize} bytes` });
    for (const note of notes) await recordEvent(tx, id, { status: 'pending', step: 'queued', progress: 0, message: note });
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

/**
 * Which files of a proposed deployment the server lacks for this user. Sizes of the files it holds
 * are checked now, and with a mode and chat the limits too, so nothing is uploaded for a refusal.
 */
export async function negotiateFiles(
  db: Db,
  userId: string,
  input: { platform: DeploymentPlatform; authMode?: AuthMode; chatId?: string; manifest: ProposedManifest },
): Promise<{ missing: string[] }> {
  const manifest = validateManifest(input.manifest, input.platform);
  const held = await new BlobStore(db).heldSizes(userId, Object.values(manifest).map((e) => e.sha256));
  const heldOnly = Object.fromEntries(Object.entries(manifest).filter(([, e]) => held.has(e.sha256)));
  await assertStoredAsDeclared(new BlobStore(db), userId, heldOnly);
  if (input.authMode && input.chatId) await checkPolicyNow(db, { userId, chatId: input.chatId, platform: input.platform, authMode: input.authMode });
  return { missing: [...new Set(Object.values(manifest).map((e) => e.sha256))].filter((h) => !held.has(h)) };
}

/** The manifest of a deployment, from its files. */
export async function loadManifest(db: Db, deploymentId: string) {
  const rows = await db.select().from(deploymentFiles).where(eq(deploymentFiles.deploymentId, deploymentId));
  return Object.fromEntries(rows.map((r) => [r.path, { sha256: r.sha256, size: r.size, contentType: r.contentType }]));
}


/** The REST body of the seed's endpoints (POST /api/{platform}-deploy). */
export const inlineDeployBody = z.object({
  authMode: z.enum(AUTH_MODES, { error: 'authMode must be "user-token" or "platform-managed".' }),
  projectName: z.string().trim().min(1, { error: 'Give the project a name (projectName).' }).max(100),
  chatId: z.string().trim().min(1, { error: 'chatId is required: it identifies the site across redeploys.' }).max(200),
  files: inlineFilesSchema,
  framework: z.string().max(50).optional(),
});
export type InlineDeployBody = z.infer<typeof inlineDeployBody>;

/** Deploys files sent inline: refused before anything is stored when the files are wrong. */
export async function deployInlineFiles(db: Db, userId: string, platform: DeploymentPlatform, body: InlineDeployBody) {
  const { proposed, bytes } = decodeInlineFiles(body.files);
  validateManifest(proposed, platform);
  // A refused deployment stores no bytes: every check runs before the files are kept.
  const pending = new PendingBlobs(new BlobStore(db), userId, bytes);
  return createDeployment(db, { userId, chatId: body.chatId, siteName: body.projectName, platform, authMode: body.authMode, manifest: proposed, pending });
}

const ERROR_CODES: Record<string, { status: number; action: ErrorAction }> = {
  auth: { status: 401, action: 'settings' },
  quota: { status: 429, action: 'wait' },
  unavailable: { status: 502, action: 'retry' },
  timeout: { status: 504, action: 'status' },
  bad_request: { status: 400, action: 'fix-files' },
  internal: { status: 500, action: 'retry' },
};

/** The seed's JSON status for clients that poll; re-drives a deployment whose runner died. */
export async function deploymentStatus(db: Db, userId: string, deploymentId: string, redrive: (id: string) => void) {
  const [row] = await db
    .select()
    .from(deployments)
    .where(and(eq(deployments.id, deploymentId), eq(deployments.userId, userId)));
  if (!row) throw new AppError('NOT_FOUND', 'That deployment was not found.');
  const unfinished = row.status === 'pending' || row.status === 'building';
  if (unfinished && (!row.leaseUntil || row.leaseUntil.getTime() < Date.now())) redrive(row.id);
  const failure = row.status === 'error' ? (ERROR_CODES[row.errorCode ?? ''] ?? ERROR_CODES.internal!) : undefined;
  return {
    deploymentId: row.id,
    platform: row.platform,
    status: row.status,
    step: row.step,
    progress: row.progress,
    ...(row.url ? { url: row.url } : {}),
    ...(row.error ? { error: row.error, errorCode: row.errorCode, httpStatus: failure?.status, action: failure?.action } : {}),
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
  };
}

