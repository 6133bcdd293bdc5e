// The runner: works one deployment to the end. A lease on the row (one conditional UPDATE) makes
// exactly one process work it; heartbeats extend the lease; every finished step is checkpointed on
// the row, so any instance that finds the lease expired (the sweep, the status endpoint, the SSE
// loop, the cron) continues where the last one stopped. A deployment always ends: ready, error, or canceled.
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { RunnerStep } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';
import type { Manifest } from '@/lib/site-files';
import type { Db } from '../db/client';
import { deployments, sites } from '../db/schema';
import { AppError } from '../errors';
import { describeError } from '../http/json';
import { ourWordsFor } from '../http/platform-failures';
import { PlatformError } from '../platforms/http';
import { adapterFor } from './adapters';
import { BlobStore } from './blob-store';
import { credentialsFor } from './credentials';
import { recordEvent, recordEventIf, type DeploymentEventInput } from './event-store';
import { loadManifest } from './manifest-store';
import { announceEvent } from './status-hub';
import { needsRunner, UNFINISHED_STATUSES } from './lease';
import { releaseUnusedPlace } from './policy';
import { adapterSettings, processDeploySettings, type DeploySettings } from './settings';

export interface RunnerOptions {
  /** Who holds the lease (one id per process is enough). */
  owner?: string;
  /**
   * The runner's lease and retries (`settings.runner`), and what the adapter is handed (its platform's
   * polling, the retries of its calls); this process's (`processDeploySettings()`) unless given.
   */
  settings?: DeploySettings;
}

export const PROCESS_RUNNER_ID = `runner-${randomUUID()}`;

class LeaseLost extends Error {}

type DeploymentRow = typeof deployments.$inferSelect;

/** Takes the lease of a deployment that is not finished and not held by a live runner. */
export async function claimLease(db: Db, deploymentId: string, owner: string, leaseMs: number): Promise<DeploymentRow | null> {
  const [row] = await db
    .update(deployments)
    .set({
      leaseOwner: owner,
      leaseUntil: sql`now() + ${`${leaseMs} milliseconds`}::interval`,
      attempts: sql`${deployments.attempts} + 1`,
      status: 'building',
      updatedAt: new Date(),
    })
    .where(and(eq(deployments.id, deploymentId), needsRunner()))
    .returning();
  return row ?? null;
}

/** Drives a deployment if it can be claimed: `worked` when this call took it, `skipped` otherwise. */
export async function driveDeployment(db: Db, deploymentId: string, options: RunnerOptions = {}): Promise<'worked' | 'skipped'> {
  const settings = options.settings ?? processDeploySettings();
  const opts = { ...settings.runner, owner: options.owner ?? PROCESS_RUNNER_ID };
  const row = await claimLease(db, deploymentId, opts.owner, opts.leaseMs);
  if (!row) return 'skipped';

  const mine = and(eq(deployments.id, deploymentId), eq(deployments.leaseOwner, opts.owner), eq(deployments.status, 'building'));
  let lost = false;
  const heartbeat = setInterval(() => {
    void db
      .update(deployments)
      .set({ leaseUntil: sql`now() + ${`${opts.leaseMs} milliseconds`}::interval` })
      .where(mine)
      .returning({ id: deployments.id })
      .then((r) => (lost ||= r.length === 0))
      .catch(() => {});
  }, opts.leaseMs / 3);
  heartbeat.unref();

  /** The row's update, only while this runner still holds the deployment (not canceled, not taken over). */
  const ownRow = (set: Partial<DeploymentRow>) =>
    db
      .update(deployments)
      .set({ ...set, updatedAt: new Date() })
      .where(mine)
      .returning({ id: deployments.id });
  /** Stops the runner when its write found the deployment no longer its own. */
  const stillHeld = (written: boolean) => {
    if (written) return;
    lost = true;
    throw new LeaseLost();
  };
  /** Writes only while this runner still holds the deployment. */
  const guarded = async (set: Partial<DeploymentRow>) => {
    if (lost) throw new LeaseLost();
    stillHeld((await ownRow(set)).length > 0);
  };
  /** An event, with `set` written to the row in the same statement, only while this runner holds the deployment. */
  const guardedEvent = async (event: DeploymentEventInput, set: Partial<DeploymentRow> = {}) => {
    if (lost) throw new LeaseLost();
    stillHeld(await recordEventIf(db, deploymentId, event, ownRow(set)));
  };

  try {
    if (row.deadlineAt && row.deadlineAt.getTime() < Date.now()) {
      await finishWithError(db, row, opts.owner, 'Deployment timed out: it could not finish in time. Deploy again.', 'timeout');
      return 'worked';
    }
    // The event and what the deployment needs are written and read at once; the event is awaited first,
    // so that it comes before any error this start may end in.
    const started = recordEvent(db, deploymentId, {
      status: 'building',
      step: row.step === 'queued' ? ('started' satisfies RunnerStep) : row.step,
      progress: row.progress,
      message: row.attempts > 1 ? `Resuming at step "${row.step}"` : 'Deployment started',
    });
    const loading = Promise.all([
      credentialsToRun(db, row),
      row.siteId ? db.select().from(sites).where(eq(sites.id, row.siteId)) : [],
      deployedFiles(db, row.manifestHash),
      // Only a deployment of the same site and user can be restored natively.
      row.rollbackOf && row.siteId
        ? db
            .select({ checkpoint: deployments.checkpoint })
            .from(deployments)
            .where(and(eq(deployments.id, row.rollbackOf), eq(deployments.userId, row.userId), eq(deployments.siteId, row.siteId)))
        : [],
    ]);
    // Each is awaited below; until then a failure must not count as unhandled.
    loading.catch(() => {});
    await started;
    const [credentials, [site], manifest, [rollbackSource]] = await loading;
    const checkpoint = { ...row.checkpoint };
    const adapter = adapterFor(row.platform);
    if (!credentials) throw new PlatformError('auth', 'Quick deploy is not configured on this server.');
    const blobs = new BlobStore(db);

    for (let attempt = 1; ; attempt++) {
      // Per attempt: the packs it opened are let go of before a retry waits.
      const reader = blobs.reader(
        row.userId,
        Object.values(manifest).map((e) => e.sha256),
      );
      try {
        const outcome = await adapter.deploy({
          deploymentId,
          siteId: row.siteId ?? deploymentId,
          siteName: site?.name ?? row.chatId,
          mode: row.authMode,
          credentials,
          target: { externalId: site?.externalId ?? row.externalId, externalProjectId: site?.externalProjectId ?? row.externalProjectId },
          settings: adapterSettings(settings, row.platform),
          manifest,
          rollbackTo: rollbackSource?.checkpoint,
          openBlob: reader.open,
          readSha1s: (shas) => blobs.sha1Many(row.userId, shas),
          checkpoint,
          save: async (patch) => {
            Object.assign(checkpoint, patch);
            await guarded({ checkpoint: { ...checkpoint } });
          },
          report: (step, progress, message) => guardedEvent({ status: 'building', step, progress, message }, { step, progress }),
        });
        await reader.close();
        await finishReady(db, row, opts.owner, outcome.url, outcome.target);
        return 'worked';
      } catch (err) {
        await reader.close();
        if (err instanceof LeaseLost) throw err;
        // A quota that names a wait (Retry-After) passes; one without (a hard limit) does not.
        const transient =
          err instanceof PlatformError &&
          (err.kind === 'unavailable' || err.kind === 'timeout' || (err.kind === 'quota' && err.retryAfterSeconds !== undefined));
        const beforeDeadline = !row.deadlineAt || Date.now() + opts.retryDelayMs < row.deadlineAt.getTime();
        if (!transient || attempt >= opts.maxAttempts || !beforeDeadline) throw err;
        await guardedEvent({
          status: 'building',
          step: 'retry' satisfies RunnerStep,
          progress: null,
          message: `${err.message} Retrying (attempt ${attempt + 1} of ${opts.maxAttempts}).`,
        });
        await new Promise((r) => setTimeout(r, opts.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  } catch (err) {
    if (err instanceof LeaseLost) return 'worked';
    if (err instanceof PlatformError && row.authMode === 'platform-managed') {
      // The shared accounts' own words (their ids, their limits) are for operators, not users.
      console.error(`[runner] quick deploy ${deploymentId} failed on ${row.platform} (${err.kind}):`, err.message, err.platformMessage?.slice(0, 300) ?? '');
      await finishWithError(db, row, opts.owner, ourWordsFor(err.kind), err.kind);
    } else if (err instanceof PlatformError) {
      await finishWithError(db, row, opts.owner, err.message, err.kind, err.platformMessage);
    } else if (err instanceof AppError && err.code === 'NOT_FOUND') {
      // A file lost from the store: deploying again asks for it (its pack's row went with the read).
      console.error(`[runner] deployment ${deploymentId}:`, err.message);
      await finishWithError(db, row, opts.owner, LOST_FILE, 'internal');
    } else {
      console.error(`[runner] deployment ${deploymentId}:`, describeError(err));
      await finishWithError(db, row, opts.owner, ourWordsFor('internal'), 'internal');
    }
    return 'worked';
  } finally {
    clearInterval(heartbeat);
  }
}

const LOST_FILE = 'A file of this site is no longer stored on the server. Deploy again: the files it lacks will be asked for and uploaded again.';

async function finishReady(db: Db, row: DeploymentRow, owner: string, url: string, target: { externalId: string; externalProjectId: string }) {
  const now = new Date();
  await db.transaction(async (tx) => {
    const done = await tx
      .update(deployments)
      .set({ status: 'ready', url, ...target, step: 'ready', progress: 100, leaseOwner: null, leaseUntil: null, finishedAt: now, updatedAt: now })
      .where(and(eq(deployments.id, row.id), eq(deployments.leaseOwner, owner), eq(deployments.status, 'building')))
      .returning({ id: deployments.id });
    if (done.length === 0) throw new LeaseLost();
    if (row.siteId)
      await tx
        .update(sites)
        // A sibling deployment that failed first may have given the place back: a live site keeps its days.
        .set({
          url,
          ...target,
          currentDeploymentId: row.id,
          updatedAt: now,
          ...(row.expiresAt ? { expiresAt: sql`greatest(${sites.expiresAt}, ${row.expiresAt})` } : {}),
        })
        .where(eq(sites.id, row.siteId));
    await recordEvent(tx, row.id, { status: 'ready', step: 'ready', progress: 100, message: `Live at ${url}` });
  });
  announceEvent(row.id);
}

async function finishWithError(db: Db, row: DeploymentRow, owner: string, message: string, code: string, platformMessage?: string) {
  const now = new Date();
  await db.transaction(async (tx) => {
    const done = await tx
      .update(deployments)
      .set({ status: 'error', error: message, errorCode: code, step: 'error', leaseOwner: null, leaseUntil: null, finishedAt: now, updatedAt: now })
      .where(and(eq(deployments.id, row.id), eq(deployments.leaseOwner, owner), inArray(deployments.status, [...UNFINISHED_STATUSES])))
      .returning({ id: deployments.id });
    if (done.length === 0) return;
    await releaseUnusedPlace(tx, row, now);
    await recordEvent(tx, row.id, {
      status: 'error',
      step: 'error',
      progress: null,
      message: platformMessage ? `${message} (${platformMessage.slice(0, 300)})` : message,
    });
  });
  announceEvent(row.id);
}

/** The credentials a deployment runs with; an account disconnected since it was created is the user's to fix, in Settings. */
async function credentialsToRun(db: Db, row: DeploymentRow): Promise<unknown> {
  try {
    return await credentialsFor(db, row);
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND')
      throw new PlatformError('auth', `Your ${platformInfo(row.platform).label} account is no longer connected. Connect it in Settings, then deploy again.`);
    throw err;
  }
}

/** The files of a deployment, with their content types (as create left them, when it ran in this process). */
async function deployedFiles(db: Db, manifestHash: string | null): Promise<Readonly<Manifest>> {
  if (!manifestHash) throw new Error('This deployment has no stored manifest.');
  return loadManifest(db, manifestHash);
}
