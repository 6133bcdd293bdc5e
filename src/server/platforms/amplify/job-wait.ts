// The build step: GetJob until the job ends. A job that fails, is cancelled or takes too long is
// given up in the checkpoint (a new attempt makes a new job); one that takes too long is stopped.
import type { Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import { pollUntil, type Polling } from '../polling';
import type { AmplifyClient } from './client';
import type { AmplifyCheckpoint, Ctx } from './state';
import type { AmplifyJob } from './types';

/**
 * How jobs are polled unless a deployment's settings say otherwise (`ctx.settings.polling`): GetJob
 * every 2.5 s (the Amplify CLI uses 3 s); after 10 minutes (the CLI's) the job is stopped and the
 * deployment fails with a timeout.
 */
export const AMPLIFY_JOB_POLLING: Polling = { intervalMs: 2_500, maxMs: 10 * 60_000 };

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
  const polling = ctx.settings.polling;
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
    intervalMs: polling.intervalMs,
    deadline: (done.startedAt ?? Date.now()) + polling.maxMs,
    timedOut: async (job) => {
      await amplify.stopJob(appId, branch, jobId).catch(() => undefined);
      await giveUp();
      return new PlatformError(
        'timeout',
        `Amplify did not finish publishing within ${Math.round(polling.maxMs / 60_000)} minutes; the job was stopped. Try again later.`,
        `job ${jobId} still ${job.summary.status}`,
      );
    },
  });
  await ctx.report('build', 98, `Amplify published job ${jobId}`);
}
