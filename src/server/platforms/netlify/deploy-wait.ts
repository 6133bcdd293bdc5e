// Waiting on a deploy's state: the deploy an earlier attempt created (unless it is gone or failed),
// and polling until it reaches the states wanted; `error` fails with Netlify's message, too long
// cancels the deploy.
import { PlatformError } from '../http';
import { pollUntil, type Polling } from '../polling';
import type { NetlifyClient, NetlifyDeploy } from './client';
import type { Ctx } from './state';

/** States of a deploy that has finished processing (spec §3.8, §4). */
export const FINISHED_STATES = ['ready', 'current', 'old'];
/** The diff is done in these states: netlify-cli's waitForDiff (src/utils/deploy/util.ts). */
export const DIFF_DONE_STATES = ['prepared', 'uploading', 'uploaded', 'ready'];

/**
 * How deploys are polled unless a deployment's settings say otherwise (`ctx.settings.polling`): a read
 * of the deploy every second (as netlify/cli); after 10 minutes the deploy is cancelled and the
 * deployment fails with a timeout.
 */
export const NETLIFY_DEPLOY_POLLING: Polling = { intervalMs: 1_000, maxMs: 10 * 60_000 };

/** The deploy an earlier attempt created, unless it is gone or failed. */
export async function resumeDeploy(nf: NetlifyClient, ctx: Ctx, deployId: string): Promise<NetlifyDeploy | undefined> {
  const deploy = await nf.getDeploy(deployId);
  if (!deploy || deploy.state === 'error') return undefined;
  await ctx.report('upload', 10, `Resuming Netlify deploy ${deployId} (${deploy.state})`);
  return deploy;
}

const PROGRESS: Record<string, number> = { new: 10, preparing: 10, prepared: 80, uploading: 80, uploaded: 88, processing: 92 };

/** Polls until the deploy reaches one of `states`; `error` fails with Netlify's message, too long cancels it. */
export async function waitForDeploy(nf: NetlifyClient, ctx: Ctx, deployId: string, states: string[], floor: number): Promise<NetlifyDeploy> {
  const polling = ctx.settings.polling;
  return pollUntil({
    read: async () => {
      const d = await nf.getDeploy(deployId);
      if (!d) throw new PlatformError('bad_request', `Netlify deploy ${deployId} disappeared. Deploy again.`);
      return d;
    },
    done: (d) => states.includes(d.state),
    failed: (d) => {
      if (d.state === 'error') {
        const said = d.error_message || `Deploy ${deployId} had an error`;
        return new PlatformError('bad_request', `Netlify could not publish the site: ${said}`, said);
      }
    },
    stateOf: (d) => d.state,
    onNewState: async (d) => {
      const state = d.state;
      const step = state === 'preparing' || state === 'new' ? 'upload' : 'activate';
      await ctx.report(step, Math.max(floor, PROGRESS[state] ?? 90), `Netlify deploy ${deployId} is ${state}`);
    },
    intervalMs: polling.intervalMs,
    deadline: Date.now() + polling.maxMs,
    timedOut: async (d) => {
      await nf.cancelDeploy(deployId).catch(() => undefined);
      return new PlatformError('timeout', 'Netlify did not finish the deploy in time. Deploy again in a few minutes.', `last state: ${d.state}`);
    },
  });
}
