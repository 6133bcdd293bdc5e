// Deploying a site to AWS Amplify Hosting as a manual (zip) deployment: the app (the shared app of
// quick deploy, or the user's own: app.ts), a branch per site (branch.ts), unfinished jobs on it
// stopped, a zip with index.html at its root, written to a temporary file (zip.ts) and PUT from it,
// CreateDeployment + PUT + StartDeployment (here), then GetJob until the job ends (job-wait.ts). Every
// step is recorded in the checkpoint so that a resumed attempt neither creates a second app nor a
// second job for a deployment that was already started.
import { formatBytes } from '@/lib/site-files';
import { DEFAULT_CALL_SETTINGS, type CallSettings, type DeployOutcome, type PlatformAdapter, type SiteTarget } from '../adapter';
import { checkpointOf, type Checkpointed } from '../checkpoint';
import { PlatformError, type StreamBody } from '../http';
import { sleep } from '../polling';
import { uploadWithProgress } from '../upload-progress';
import { ensureApp } from './app';
import { ensureBranch, PLATFORM_BRANCH_PREFIX } from './branch';
import { checkAppId } from './checks';
import { AmplifyClient } from './client';
import { AnswerLostError } from './errors';
import { waitForJob } from './job-wait';
import { amplifySettings } from './settings';
import type { AmplifyCheckpoint, Ctx } from './state';
import { UNFINISHED_JOB_STATUSES, type AmplifyCredentials } from './types';
import { withTemporaryFile, zipSite } from './zip';
import { readForUpload } from '../../storage/spool';

export type { AmplifyCredentials } from './types';
export { PLATFORM_BRANCH_PREFIX } from './branch';

const client = (credentials: AmplifyCredentials, { retries }: CallSettings = DEFAULT_CALL_SETTINGS) =>
  new AmplifyClient(credentials, { endpoint: amplifySettings().endpoint, policy: retries });

export const amplifyAdapter: PlatformAdapter<AmplifyCredentials> = {
  platform: 'amplify',

  platformCredentials() {
    const { accessKeyId, secretAccessKey, region, appId } = amplifySettings();
    return accessKeyId && secretAccessKey && appId ? { accessKeyId, secretAccessKey, region, appId } : null;
  },

  parseCredentials(raw) {
    const accessKeyId = raw.accessKeyId?.trim();
    const secretAccessKey = raw.secretAccessKey?.trim();
    const region = raw.region?.trim();
    if (!accessKeyId || !secretAccessKey || !region) throw new PlatformError('auth', 'The AWS connection is incomplete. Reconnect your account in Settings.');
    const appId = raw.appId?.trim();
    const sessionToken = raw.sessionToken?.trim();
    return { accessKeyId, secretAccessKey, region, ...(sessionToken ? { sessionToken } : {}), ...(appId ? { appId } : {}) };
  },

  async verify(credentials, settings) {
    const facts = await client(credentials, settings).verify();
    return Object.fromEntries(Object.entries(facts).filter((e): e is [string, string] => typeof e[1] === 'string'));
  },

  async deploy(ctx: Ctx): Promise<DeployOutcome> {
    // Region, keys and app ids are checked here, before any request.
    const amplify = client(ctx.credentials, ctx.settings);
    const checkpoint = checkpointOf<AmplifyCheckpoint>(ctx);
    const { done, save } = checkpoint;

    const app = await ensureApp(amplify, ctx, checkpoint);
    const branch = await ensureBranch(amplify, ctx, checkpoint, app.appId);

    let jobId = done.jobId && done.started ? done.jobId : await resumeCreatedJob(amplify, ctx, checkpoint, app.appId, branch.name);
    if (!jobId) {
      const newestJob = await stopUnfinishedJobs(amplify, ctx, app.appId, branch.name);
      jobId = await withTemporaryFile(async (file) => {
        const size = await zipSite(ctx, file);
        const created = await createDeployment(amplify, ctx, app.appId, branch.name, newestJob);
        await save({ jobId: created.jobId, started: false, startedAt: undefined });

        const zip: StreamBody = { length: size, open: () => readForUpload(file) };
        await uploadWithProgress(ctx, {
          step: 'upload',
          platform: 'Amplify',
          items: [zip],
          bytes: (z) => z.length,
          send: (z) => amplify.uploadZip(created.zipUploadUrl, z),
          concurrency: 1,
          span: { from: 50, to: 70 },
          startLine: `Uploading ${formatBytes(size)} (${size} bytes) to Amplify`,
          line: ({ sentBytes }) => `Uploaded ${sentBytes} bytes to Amplify`,
        });
        return created.jobId;
      });

      await ctx.report('start', 75, `Starting Amplify job ${jobId} on branch ${branch.name}`);
      await startDeployment(amplify, app.appId, branch.name, jobId);
      await save({ started: true, startedAt: Date.now() });
    }

    await waitForJob(amplify, ctx, checkpoint, app.appId, branch.name, jobId);

    const url = amplifySettings().siteUrl.replaceAll('{branch}', branch.displayName).replaceAll('{appId}', app.appId).replaceAll('{domain}', app.domain);
    return { url, target: { externalProjectId: app.appId, externalId: branch.name } };
  },

  async remove(credentials, target: SiteTarget, mode, settings) {
    const appId = target.externalProjectId ?? credentials.appId;
    if (!appId || !target.externalId) return;
    // In the shared app only quick-deploy branches are ever ours to delete.
    if (mode === 'platform-managed' && !target.externalId.startsWith(PLATFORM_BRANCH_PREFIX)) {
      throw new PlatformError('bad_request', `Branch ${target.externalId.slice(0, 100)} of the shared Amplify app is not a Huskit site: it was left alone.`);
    }
    await client(credentials, settings).deleteBranch(appId, target.externalId);
  },

  /** Stops the job a given-up deployment started, so it does not block the branch. */
  async abandon(credentials, checkpoint, settings) {
    const done = checkpoint as AmplifyCheckpoint;
    if (!done.appId || !done.branch || !done.jobId) return;
    await client(credentials, settings)
      .stopJob(checkAppId(done.appId), done.branch, done.jobId)
      .catch((err: unknown) => {
        if (!(err instanceof PlatformError && (err.kind === 'not_found' || err.kind === 'bad_request'))) throw err;
      });
  },

  /** The quick-deploy branches of the shared app: only those named `hs-…`, never anything else. */
  async listManagedResources(credentials, settings) {
    if (!credentials.appId) return [];
    const appId = credentials.appId;
    const branches = await client(credentials, settings).listBranches(appId);
    return branches.filter((b) => b.branchName.startsWith(PLATFORM_BRANCH_PREFIX)).map((b) => ({ externalProjectId: appId, externalId: b.branchName }));
  },
};

// ---- the job: unfinished ones stopped, CreateDeployment, StartDeployment ----

/**
 * A job this deployment created in an earlier attempt that may not have been started (a crash between
 * CreateDeployment and the checkpoint of StartDeployment). Answers its id when it did start; otherwise
 * undefined, and a pending one is stopped with the other unfinished jobs.
 */
async function resumeCreatedJob(
  amplify: AmplifyClient,
  ctx: Ctx,
  { done, save }: Checkpointed<AmplifyCheckpoint>,
  appId: string,
  branch: string,
): Promise<string | undefined> {
  const jobId = done.jobId;
  if (!jobId) return undefined;
  const job = await amplify.getJob(appId, branch, jobId).catch((err: unknown) => {
    if (err instanceof PlatformError && err.kind === 'not_found') return undefined;
    throw err;
  });
  const status = job?.summary.status;
  if (status === 'RUNNING' || status === 'PROVISIONING' || status === 'SUCCEED') {
    await save({ started: true, startedAt: done.startedAt ?? Date.now() });
    return jobId;
  }
  if (status && UNFINISHED_JOB_STATUSES.has(status)) {
    await ctx.report('jobs', 12, `Stopping job ${jobId}, created by an interrupted attempt`);
    await amplify.stopJob(appId, branch, jobId).catch(ignoreGone);
  }
  await save({ jobId: null, started: false, startedAt: undefined });
  return undefined;
}

/** StopJob on a job that finished or vanished in the meantime is not a problem. */
function ignoreGone(err: unknown): void {
  if (err instanceof PlatformError && (err.kind === 'not_found' || err.kind === 'bad_request')) return;
  throw err;
}

/** Stops every job that would block CreateDeployment; answers the newest job id on the branch (0 without jobs). */
async function stopUnfinishedJobs(amplify: AmplifyClient, ctx: Ctx, appId: string, branch: string): Promise<number> {
  await ctx.report('jobs', 14, 'Checking for unfinished Amplify jobs on the branch');
  const jobs = await amplify.listJobs(appId, branch);
  for (const job of jobs.filter((j) => UNFINISHED_JOB_STATUSES.has(j.status))) {
    await ctx.report('jobs', 15, `Stopping unfinished Amplify job ${job.jobId} (${job.status})`);
    await amplify.stopJob(appId, branch, job.jobId).catch(ignoreGone);
  }
  return newestJobId(jobs);
}

const newestJobId = (jobs: { jobId: string }[]) => jobs.reduce((n, j) => Math.max(n, Number(j.jobId) || 0), 0);

/**
 * CreateDeployment's answer was lost, but the job may exist: it is the PENDING job newer than every job
 * seen before the call. Its upload URL came only in the lost answer, so it cannot be used: it is
 * deleted (stopped if AWS refuses), and the caller asks again, leaving one job for the attempt.
 * Answers the newest job id now on the branch.
 */
async function removeLostJob(amplify: AmplifyClient, ctx: Ctx, appId: string, branch: string, newestBefore: number): Promise<number> {
  const jobs = await amplify.listJobs(appId, branch);
  for (const job of jobs.filter((j) => Number(j.jobId) > newestBefore && j.status === 'PENDING')) {
    await ctx.report('upload', 45, `Amplify did not answer CreateDeployment; removing job ${job.jobId} it created, whose upload URL was lost`);
    await amplify.deleteJob(appId, branch, job.jobId).catch(async (err: unknown) => {
      if (err instanceof PlatformError && err.kind === 'not_found') return;
      // Refused, or keys whose policy predates amplify:DeleteJob: stopped, it blocks nothing either.
      if (!(err instanceof PlatformError && (err.kind === 'bad_request' || err.kind === 'auth'))) throw err;
      await amplify.stopJob(appId, branch, job.jobId).catch(ignoreGone);
    });
  }
  return newestJobId(jobs);
}

const UNFINISHED_JOB_REFUSAL = /not (been )?finished|StopJob/i;

/**
 * CreateDeployment, stopping again what blocks it (a job may still be CANCELLING, or appear meanwhile).
 * A lost answer is never resent blindly: the jobs are read first (removeLostJob).
 */
async function createDeployment(amplify: AmplifyClient, ctx: Ctx, appId: string, branch: string, newestJob: number) {
  await ctx.report('upload', 45, 'Creating the Amplify deployment');
  let lost = 0;
  for (let round = 1; ; round++) {
    try {
      return await amplify.createDeployment(appId, branch);
    } catch (err) {
      if (err instanceof AnswerLostError) {
        if (++lost >= 4) throw err;
        newestJob = await removeLostJob(amplify, ctx, appId, branch, newestJob);
        continue;
      }
      const blocked = err instanceof PlatformError && err.kind === 'bad_request' && UNFINISHED_JOB_REFUSAL.test(err.platformMessage ?? '');
      if (!blocked) throw err;
      if (round >= 4)
        throw new PlatformError(
          'conflict',
          'Another Amplify deployment of this site is still running and could not be stopped. Wait a few minutes, then deploy again.',
          err.platformMessage,
        );
      await sleep(Math.min(ctx.settings.polling.intervalMs, 1_000) * round);
      newestJob = await stopUnfinishedJobs(amplify, ctx, appId, branch);
    }
  }
}

/** A StartDeployment whose first answer was lost may be refused as "already started": that is success. */
async function startDeployment(amplify: AmplifyClient, appId: string, branch: string, jobId: string): Promise<void> {
  try {
    await amplify.startDeployment(appId, branch, jobId);
  } catch (err) {
    if (!(err instanceof PlatformError && err.kind === 'bad_request')) throw err;
    const job = await amplify.getJob(appId, branch, jobId).catch(() => undefined);
    const status = job?.summary.status;
    if (status !== 'RUNNING' && status !== 'PROVISIONING' && status !== 'SUCCEED') throw err;
  }
}
