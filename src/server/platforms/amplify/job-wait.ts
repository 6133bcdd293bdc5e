// The build step: GetJob until the job ends. A job that fails, is cancelled or takes too long is
// given up in the checkpoint (a new attempt makes a new job); one that takes too long is stopped.
import type { Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import { pollingSettings, pollUntil } from '../polling';
import type { AmplifyClient } from './client';
import type { AmplifyCheckpoint, Ctx } from './state';
import type { AmplifyJob } from './types';

// GetJob every 2.5 s (the Amplify CLI uses 3 s); after 10 minutes (the CLI's) the job is stopped and
// the deployment fails with a timeout.
const pollingOfJobs = pollingSettings({ intervalMs: 2_500, maxMs: 10 * 60_000 });
/** How jobs are polled in this process. */
export const jobPolling = pollingOfJobs.current;
/** Changes how jobs are polled in this process (tests shorten the interval). */
export const configureAmplifyPolling = pollingOfJobs.configure;

const BUILD_PROGRESS: Record<string, number> = { CREATED: 78, PENDING: 80, PROVISIONING: 85, RUNNING: 90, CANCELLING: 90 };

function failureReason(job: AmplifyJob): string {
  const step = job.steps.find((s) => s.status === 'FAILED' && s.statusReason) ?? job.steps.find((s) => s.statusReason);
  return step?.statusReason ?? `job ${job.summary.jobId} ended with status ${job.summary.status}`;
}

export async function waitForJob(
  amplify: AmplifyClient,
  ctx: Ctx,
  { done, save }: Checkpointed<AmplifyCheckpoint>,
  appId: string,
  branch: string,
  jobId: string,
): Promise<void> {
  // A job that did not finish is given up: a new attempt makes a new one.
  const giveUp = () => save({ jobId: null, started: false, startedAt: undefined });
  await pollUntil({
    read: () => amplify.getJob(appId, branch, jobId),
    done: (job) => job.summary.status === 'SUCCEED',
    failed: async (job) => {
      const status = job.summary.status;
      if (status === 'FAILED') {
        await giveUp();
        const reason = failureReason(job);
        return new PlatformError('bad_request', `Amplify could not publish the site: ${reason.slice(0, 300)}`, reason);
      }
      if (status === 'CANCELLED') {
        await giveUp();
        return new PlatformError('conflict', `The Amplify deployment (job ${jobId}) was cancelled before it finished. Deploy again.`, `job ${jobId} ${status}`);
      }
    },
    stateOf: (job) => job.summary.status,
    onNewState: (job) => ctx.report('build', BUILD_PROGRESS[job.summary.status] ?? 85, `Amplify job ${jobId}: ${job.summary.status.toLowerCase()}`),
    intervalMs: jobPolling.intervalMs,
    deadline: (done.startedAt ?? Date.now()) + jobPolling.maxMs,
    timedOut: async (job) => {
      await amplify.stopJob(appId, branch, jobId).catch(() => undefined);
      await giveUp();
      return new PlatformError(
        'timeout',
        `Amplify did not finish publishing within ${Math.round(jobPolling.maxMs / 60_000)} minutes; the job was stopped. Try again later.`,
        `job ${jobId} still ${job.summary.status}`,
      );
    },
  });
  await ctx.report('build', 98, `Amplify published job ${jobId}`);
}
