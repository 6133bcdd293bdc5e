// Creating a deployment: everything is checked before anything is written (files, credentials),
// then the site, the deployment, its files and its first event are written in one transaction.
// The platform work happens later, in the runner.
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { CreateByIdRequest, NegotiateAnswer, NegotiateRequest } from '@/lib/deploy-client';
import { AUTH_MODES, type AuthMode, type DeploymentPlatform } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';
import { manifestHash } from '@/lib/manifest';
import type { Manifest } from '@/lib/site-files';
import type { Db } from '../db/client';
import { connections, deploymentFiles, deployments, sites } from '../db/schema';
import { AppError, type ErrorAction } from '../errors';
import { recordAudit } from '../audit';
import { adapterFor } from './adapters';
import { BlobStore } from './blob-store';
import { rebuildFromBase } from './delta';
import { recordEvent } from './events';
import { assertStoredAsDeclared, decodeInlineFiles, inlineFilesSchema, PendingBlobs, validateManifest, type InlineFiles, type ProposedManifest } from './files';
import { enforcePolicy, withRejectionRecorded } from './policy';
import { keepProposedManifest, proposedManifest } from './proposed-manifests';
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

export async function createDeployment(db: Db, input: CreateDeploymentInput, now = new Date()): Promise<{ deploymentId: string; siteId: string }> {
  const adapter = adapterFor(input.platform);
  const declared = validateManifest(input.manifest, input.platform);
  const blobs = input.pending ?? new BlobStore(db);
  // Sizes and limits from what was stored, never from what the client declared.
  await assertStoredAsDeclared(blobs, input.userId, declared);
  if (input.authMode === 'platform-managed' && !platformInfo(input.platform).quickDeploy)
    throw new AppError(
      'BAD_REQUEST',
      `${platformInfo(input.platform).label} has no quick deploy: sites go to your own account. Connect it in Settings, then deploy.`,
    ).withAction('use-own-account');
  if (input.authMode === 'platform-managed' && !adapter.platformCredentials())
    throw new AppError(
      'BAD_REQUEST',
      `Quick deploy to ${platformInfo(input.platform).label} is not configured on this server. Deploy to your own account instead.`,
    ).withAction('use-own-account');
  if (input.authMode === 'user-token') {
    const [connection] = await db
      .select({ id: connections.id })
      .from(connections)
      .where(and(eq(connections.userId, input.userId), eq(connections.platform, input.platform)));
    if (!connection)
      throw new AppError(
        'UNAUTHORIZED',
        `Please connect your account first: add your ${platformInfo(input.platform).label} account in Settings, then deploy.`,
      ).withAction('settings');
  }
  // Refused early (cheap) before the scan reads any bytes; checked again, exactly, when inserting.
  await checkPolicyNow(db, input, now);
  const reader = blobs.reader(Object.values(declared).map((e) => e.sha256));
  let manifest: Manifest;
  let notes: string[];
  try {
    ({ manifest, notes } = await checkStaticOnly({
      platform: input.platform,
      mode: input.authMode,
      manifest: declared,
      readText: (path) => reader.text(declared[path]!.sha256),
    }));
    // Quick deploys land in the shared accounts: their content is scanned. A user's own account is theirs.
    if (input.authMode === 'platform-managed')
      await scanSite(manifest, { open: reader.open, passedScan: (h, v) => blobs.passedScan(h, v), markScanned: (h, v) => blobs.markScanned(h, v) });
  } finally {
    await reader.close();
  }
  await input.pending?.commit();

  const expiresAt = input.authMode === 'platform-managed' ? new Date(now.getTime() + PLATFORM_MANAGED_LIFETIME_MS) : null;
  return withRejectionRecorded(db, input, () => insertDeployment(db, input, manifest, notes, now, expiresAt));
}

/** Creates a deployment of the manifest the user negotiated (files.negotiate) under this id, checked again in full. */
export async function createFromNegotiated(db: Db, input: CreateByIdRequest & { userId: string }, now = new Date()) {
  const { manifestId, ...rest } = input;
  return createDeployment(db, { ...rest, manifest: await proposedManifest(db, input.userId, manifestId, now) }, now);
}

/** The rate limit and the shared quota, checked now in a short transaction of their own. */
export function checkPolicyNow(db: Db, input: Pick<CreateDeploymentInput, 'userId' | 'chatId' | 'platform' | 'authMode'>, now = new Date()): Promise<void> {
  return withRejectionRecorded(db, input, () => db.transaction((tx) => enforcePolicy(tx, input, now)));
}

async function insertDeployment(db: Db, input: CreateDeploymentInput, manifest: Manifest, notes: string[], now: Date, expiresAt: Date | null) {
  const files = Object.entries(manifest);
  const totalSize = files.reduce((n, [, e]) => n + e.size, 0);
  // Of what is deployed (after static-only dropped any file): a later delta is rebuilt from these rows.
  const hash = await manifestHash(Object.fromEntries(files.map(([path, e]) => [path, { sha256: e.sha256, size: e.size }])));
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
        manifestHash: hash,
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
 * Which files of a proposed deployment the server lacks for this user, and an id for the manifest that
 * create names instead of carrying it again. The manifest comes whole, or as a delta against one of the
 * user's deployments. Sizes of the files the server holds are checked now, and with a mode and chat
 * the limits too, so nothing is uploaded for a refusal.
 */
export async function negotiateFiles(db: Db, userId: string, input: NegotiateRequest, now = new Date()): Promise<NegotiateAnswer> {
  const proposed = 'manifest' in input ? input.manifest : await rebuildFromBase(db, userId, input);
  const manifest = validateManifest(proposed, input.platform);
  const held = await new BlobStore(db).heldSizes(
    userId,
    Object.values(manifest).map((e) => e.sha256),
  );
  const heldOnly = Object.fromEntries(Object.entries(manifest).filter(([, e]) => held.has(e.sha256)));
  await assertStoredAsDeclared(new BlobStore(db), userId, heldOnly);
  if (input.authMode && input.chatId) await checkPolicyNow(db, { userId, chatId: input.chatId, platform: input.platform, authMode: input.authMode }, now);
  const files = Object.fromEntries(Object.entries(manifest).map(([path, e]) => [path, { sha256: e.sha256, size: e.size }]));
  return {
    missing: [...new Set(Object.values(manifest).map((e) => e.sha256))].filter((h) => !held.has(h)),
    manifestId: await keepProposedManifest(db, userId, files, now),
  };
}

/** The manifest of a deployment, from its files. */
export async function loadManifest(db: Db, deploymentId: string) {
  const rows = await db.select().from(deploymentFiles).where(eq(deploymentFiles.deploymentId, deploymentId));
  // In path order (as validateManifest makes it, and as files are uploaded): packs are read in order.
  rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return Object.fromEntries(rows.map((r) => [r.path, { sha256: r.sha256, size: r.size, contentType: r.contentType }]));
}

/** The REST body of the seed's endpoints (POST /api/{platform}-deploy). */
export const inlineDeployBody = z
  .object({
    authMode: z.enum(AUTH_MODES, { error: 'authMode must be "user-token" or "platform-managed".' }),
    projectName: z.string().trim().min(1, { error: 'Give the project a name (projectName).' }).max(100),
    chatId: z.string().trim().min(1, { error: 'chatId is required: it identifies the site across redeploys.' }).max(200),
    /** The files inline; or `manifestId`, the manifest negotiated through files.negotiate (its blobs uploaded). */
    files: inlineFilesSchema.optional(),
    manifestId: z.uuid({ error: 'manifestId is the id files.negotiate answered.' }).optional(),
    framework: z.string().max(50).optional(),
  })
  .refine((body) => (body.files === undefined) !== (body.manifestId === undefined), {
    error: 'Send the files inline (files), or the manifestId that files.negotiate answered: one of the two.',
  });
export type InlineDeployBody = z.infer<typeof inlineDeployBody>;

/** The REST create: files inline, or a negotiated manifest by id. */
export async function deployRestBody(db: Db, userId: string, platform: DeploymentPlatform, body: InlineDeployBody) {
  const target = { userId, chatId: body.chatId, siteName: body.projectName, platform, authMode: body.authMode };
  if (body.files) return deployInlineFiles(db, target, body.files);
  return createFromNegotiated(db, { ...target, manifestId: body.manifestId! });
}

/** Deploys files sent inline: refused before anything is stored when the files are wrong. */
async function deployInlineFiles(db: Db, target: Omit<CreateDeploymentInput, 'manifest'>, files: InlineFiles) {
  const { proposed, bytes } = decodeInlineFiles(files);
  validateManifest(proposed, target.platform);
  // A refused deployment stores no bytes: every check runs before the files are kept.
  const pending = new PendingBlobs(new BlobStore(db), target.userId, bytes);
  return createDeployment(db, { ...target, manifest: proposed, pending });
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
