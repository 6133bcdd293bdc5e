// Creating a deployment: everything is checked before anything is written (files, credentials),
// then the site, the deployment (naming its stored manifest) and its first event are written in one transaction.
// The platform work happens later, in the runner that creation enqueues (background.ts).
import { and, eq } from 'drizzle-orm';
import type { CreateByIdRequest, CreateFromChangesRequest, NegotiateAnswer, NegotiateRequest } from '@/lib/deploy-client';
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';
import type { Manifest } from '@/lib/site-files';
import type { Db } from '../db/client';
import { connections, deployments, sites } from '../db/schema';
import { AppError } from '../errors';
import { onServerlessHost } from '../hosting';
import { recordAudit } from '../audit';
import { adapterFor } from './adapters';
import { enqueueDeployment } from './background';
import { markUsed } from './blob-catalog';
import { BlobStore } from './blob-store';
import { keptFiles, lostBaseFiles, rebuildFromBase } from './delta';
import { recordEvent } from './event-store';
import {
  asValidated,
  assertHeldAsDeclared,
  assertStoredAsDeclared,
  blobsOf,
  decodeChangedBlobs,
  decodeInlineFiles,
  PendingBlobs,
  sendWhole,
  validateManifest,
  type InlineFiles,
  type ProposedManifest,
} from './files';
import { enforcePolicy, withRejectionRecorded, type PolicyLimits } from './policy';
import { hashAndRemember, inMemory, lastManifestOfSite, rememberManifest, storeManifest } from './manifest-store';
import { keepProposedManifest, proposedManifest } from './proposed-manifests';
import { rememberSitePassed, scanSite, sitePassed } from './scan';
import { expectUploads } from './scan/on-arrival';
import { processDeploySettings, type DeploySettings } from './settings';
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
  /**
   * Set when `manifest` passed validateManifest for this platform at negotiate (read back from the
   * server's store, not sent by the client): its manifest hash. It is not validated or hashed again.
   */
  validated?: { hash: string };
  /** For a rollback: the earlier deployment (of the same user) whose content goes live again. */
  rollbackOf?: string;
  /**
   * Files of the request not stored yet (the inline REST body, a redeploy's changes): stored only once
   * every check of the files passed. A rate limit refusing it at the last, locked check leaves them to
   * the cleanup (a day later), as any upload no deployment used.
   */
  pending?: PendingBlobs;
  /**
   * For a delta negotiated for this platform: its changed blobs. Only these are looked up (held, sizes):
   * the others are the base's, held and kept while its deployment names them.
   */
  recheckBlobs?: string[];
  /** A stored manifest the files were negotiated as changes of (a delta's base): stored as a delta of it when they differ little. */
  storedNear?: string;
}

export interface CreateOptions {
  now?: Date;
  /** Its limits, and its runner's settings; this process's (`processDeploySettings()`) unless given. */
  settings?: DeploySettings;
  /**
   * Starts the runner of the new deployment with these settings: by default in this process, in the
   * background (`enqueueDeployment`). Tests that drive a deployment by hand pass their own.
   */
  enqueue?: (deploymentId: string, settings: DeploySettings) => void;
}

/**
 * Creates a deployment and enqueues it: every way in (REST, tRPC, the editor, redeploy, rollback)
 * ends here, so the same checks apply to all, and every deployment created gets its runner.
 */
export async function createDeployment(db: Db, input: CreateDeploymentInput, options: CreateOptions = {}): Promise<{ deploymentId: string; siteId: string }> {
  const now = options.now ?? new Date();
  const settings = options.settings ?? processDeploySettings();
  const adapter = adapterFor(input.platform);
  const declared = input.validated ? (inMemory(input.validated.hash) ?? asValidated(input.manifest)) : validateManifest(input.manifest, input.platform);
  const blobs = input.pending ?? new BlobStore(db);
  // Sizes and limits from what was stored, never from what the client declared.
  const recheck = input.recheckBlobs && new Set(input.recheckBlobs);
  const lookedUp = recheck ? Object.fromEntries(Object.entries(declared).filter(([, e]) => recheck.has(e.sha256))) : declared;
  await assertStoredAsDeclared(blobs, input.userId, lookedUp);
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
  // Of a delta whose base passed the scan here lately, only what changed is scanned: the rest passed with the base.
  const scanOnlyChanged = recheck && input.storedNear && sitePassed(input.storedNear);
  // Refused early (cheap) where that saves work: before a scan reads the site's files, or inline files are
  // stored. Checked again, exactly, when inserting (for every deployment).
  if (input.pending || (input.authMode === 'platform-managed' && !scanOnlyChanged)) await checkPolicyNow(db, input, settings.limits, now);
  const reader = blobs.reader(
    input.userId,
    Object.values(declared).map((e) => e.sha256),
  );
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
      await scanSite(scanOnlyChanged ? withBlobs(manifest, recheck) : manifest, {
        open: reader.open,
        notPassedScan: (h, v) => blobs.notPassedScan(input.userId, h, v),
        markScanned: (h, v) => blobs.markScanned(input.userId, h, v),
      });
  } finally {
    await reader.close();
  }
  await input.pending?.commit();

  const expiresAt = input.authMode === 'platform-managed' ? new Date(now.getTime() + PLATFORM_MANAGED_LIFETIME_MS) : null;
  const created = await withRejectionRecorded(db, input, () =>
    insertDeployment(db, input, manifest, notes, {
      now,
      expiresAt,
      limits: settings.limits,
      lookedUp: blobsOf(lookedUp),
      // Static-only only ever drops files: as many as negotiated, they are the files of its hash.
      knownHash: input.validated && Object.keys(manifest).length === Object.keys(declared).length ? input.validated.hash : undefined,
    }),
  );
  if (input.authMode === 'platform-managed') rememberSitePassed(created.manifestHash);
  (options.enqueue ?? enqueueDeployment)(created.deploymentId, settings);
  return { deploymentId: created.deploymentId, siteId: created.siteId };
}

/** The files of the manifest whose bytes are among these blobs. */
const withBlobs = (manifest: Manifest, blobs: Set<string>): Manifest => Object.fromEntries(Object.entries(manifest).filter(([, e]) => blobs.has(e.sha256)));

/** Creates a deployment of the manifest the user negotiated (files.negotiate) under this id, its files looked up again. */
export async function createFromNegotiated(db: Db, input: CreateByIdRequest & { userId: string }, options: CreateOptions = {}) {
  const { manifestId, ...rest } = input;
  const now = options.now ?? new Date();
  const proposal = await proposedManifest(db, input.userId, manifestId, now);
  // Negotiated for another platform, its files are validated and looked up again in full (its rules differ).
  const samePlatform = proposal.platform === input.platform;
  const recheckBlobs = samePlatform ? (proposal.recheck ?? undefined) : undefined;
  const validated = samePlatform ? { hash: proposal.hash } : undefined;
  return createDeployment(db, { ...rest, manifest: proposal.files, validated, recheckBlobs, storedNear: proposal.base ?? undefined }, { ...options, now });
}

/**
 * Creates a redeploy sent in one request: the changes against a base of the user's and the changed
 * files' bytes. Rebuilt and checked as a negotiated delta is; the bytes are stored only once every
 * check passed, as the REST body's are.
 */
export async function createFromChanges(db: Db, input: CreateFromChangesRequest & { userId: string }, options: CreateOptions = {}) {
  const { base, changes, manifestHash, files, ...target } = input;
  const rebuilt = await rebuildFromBase(db, input.userId, { base, changes, manifestHash }, input.platform);
  const blobs = new BlobStore(db);
  const lost = await lostBaseFiles(blobs, input.userId, rebuilt);
  if (lost.length > 0) throw new AppError('CONFLICT', `${lost.length} file(s) of the base are no longer stored and must be uploaded again. ${sendWhole}`);
  const pending = new PendingBlobs(blobs, input.userId, decodeChangedBlobs(files, rebuilt.changes));
  const hash = await hashAndRemember(rebuilt.manifest, rebuilt.hash);
  return createDeployment(
    db,
    { ...target, manifest: rebuilt.manifest, validated: { hash }, recheckBlobs: blobsOf(rebuilt.changes.changed), storedNear: rebuilt.base, pending },
    options,
  );
}

/** deployments.create: by a negotiated manifest's id, or a redeploy with its changes. */
export function createRequested(db: Db, input: (CreateByIdRequest | CreateFromChangesRequest) & { userId: string }, options: CreateOptions = {}) {
  return 'manifestId' in input ? createFromNegotiated(db, input, options) : createFromChanges(db, input, options);
}

/** Creates a deployment of files sent inline (the REST body): refused before anything is stored when the files are wrong. */
export async function createFromInlineFiles(db: Db, target: Omit<CreateDeploymentInput, 'manifest'>, files: InlineFiles, options: CreateOptions = {}) {
  const { proposed, bytes } = decodeInlineFiles(files);
  validateManifest(proposed, target.platform);
  // A refused deployment stores no bytes: every check runs before the files are kept.
  const pending = new PendingBlobs(new BlobStore(db), target.userId, bytes);
  return createDeployment(db, { ...target, manifest: proposed, pending }, options);
}

/** The rate limit and the shared quota under `limits`, as they stand now: an early look, without the locks of the exact check. */
export function checkPolicyNow(
  db: Db,
  input: Pick<CreateDeploymentInput, 'userId' | 'chatId' | 'platform' | 'authMode'>,
  limits: PolicyLimits,
  now = new Date(),
): Promise<void> {
  return withRejectionRecorded(db, input, () => enforcePolicy(db, input, now, limits, false));
}

async function insertDeployment(
  db: Db,
  input: CreateDeploymentInput,
  manifest: Manifest,
  notes: string[],
  { now, expiresAt, limits, lookedUp, knownHash }: { now: Date; expiresAt: Date | null; limits: PolicyLimits; lookedUp: string[]; knownHash?: string },
) {
  const files = Object.entries(manifest);
  const totalSize = files.reduce((n, [, e]) => n + e.size, 0);
  return db.transaction(async (tx) => {
    await enforcePolicy(tx, input, now, limits, true);
    // The files looked up at the start are still there, and kept from the cleanup from now on (a
    // delta's others are its base's, which its deployment keeps).
    const present = await markUsed(tx, input.userId, lookedUp, now);
    if (present < lookedUp.length)
      throw new AppError(
        'BAD_REQUEST',
        `${lookedUp.length - present} file(s) of this deployment were removed from storage since they were uploaded. Deploy again: they will be uploaded again.`,
      );
    // What is deployed (after static-only dropped any file): the runner reads it, a later delta is rebuilt from it.
    // A redeploy is stored as a delta: of the negotiated base, or of the site's last deployment.
    const hash = await storeManifest(tx, manifest, now, knownHash, input.storedNear ?? (() => lastManifestOfSite(tx, input)));
    // The runner reads these files under this hash: validated already.
    rememberManifest(hash, manifest);
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
    return { deploymentId: id, siteId: site!.id, manifestHash: hash };
  });
}

/**
 * Which files of a proposed deployment the server lacks for this user, and an id for the manifest that
 * create names instead of carrying it again. The manifest comes whole, or as a delta against one of the
 * user's deployments (then only the changed files are looked up). Sizes of the files the server holds
 * are checked now, and with a mode and chat the limits too (the settings' limits, this process's unless
 * given), so nothing is uploaded for a refusal.
 */
export async function negotiateFiles(
  db: Db,
  userId: string,
  input: NegotiateRequest,
  { now = new Date(), settings = processDeploySettings() }: Pick<CreateOptions, 'now' | 'settings'> = {},
): Promise<NegotiateAnswer> {
  const rebuilt = 'manifest' in input ? null : await rebuildFromBase(db, userId, input, input.platform);
  const manifest = 'manifest' in input ? validateManifest(input.manifest, input.platform) : rebuilt!.manifest;
  // Of a delta, the sizes of what changed are checked (the base's were when it was made), and its kept
  // files are looked up in the same lookup: those lost from the store are asked for too, and the
  // proposal is kept whole, so that create looks every file up again.
  const checked = rebuilt ? Object.fromEntries(Object.keys(rebuilt.changes.changed).map((path) => [path, manifest[path]!])) : manifest;
  const kept = rebuilt ? keptFiles(rebuilt) : [];
  const held = await new BlobStore(db).heldSizes(userId, [...blobsOf(checked), ...kept]);
  assertHeldAsDeclared(checked, held);
  if (input.authMode && input.chatId)
    await checkPolicyNow(db, { userId, chatId: input.chatId, platform: input.platform, authMode: input.authMode }, settings.limits, now);
  const lost = kept.filter((h) => !held.has(h));
  const missing = [...new Set([...blobsOf(checked).filter((h) => !held.has(h)), ...lost])];
  // A quick deploy that passed the policy has its files scanned as they arrive (not on a serverless host,
  // where the next request may run anywhere).
  const quickDeploy = input.authMode === 'platform-managed' && platformInfo(input.platform).quickDeploy && adapterFor(input.platform).platformCredentials();
  if (quickDeploy && input.chatId && !onServerlessHost()) expectUploads(userId, checked, missing);
  // A delta's files hash as the client said (rebuildFromBase checked it).
  const hash = await hashAndRemember(manifest, rebuilt?.hash);
  const { chatId, authMode } = input;
  // A whole manifest sent for a site deployed before is stored as a delta of its last deployment's.
  const near = 'manifest' in input && chatId && authMode ? () => lastManifestOfSite(db, { userId, chatId, platform: input.platform, authMode }) : undefined;
  const proposal = { hash, files: manifest, platform: input.platform, delta: (lost.length === 0 && rebuilt) || undefined, near };
  return { missing, manifestId: await keepProposedManifest(db, userId, proposal, now) };
}
