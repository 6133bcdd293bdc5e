// Waiting for a deployment: GET /v13/deployments until READY with the production alias assigned
// (promoting it when the project is rolled back, as Vercel then gives new deployments no production
// domain), and the production domain the site is served at.
import type { Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import { pollUntil, type Polling } from '../polling';
import type { VercelClient, VercelDeployment } from './client';
import { vercelSettings } from './settings';
import type { Ctx, VercelCheckpoint } from './state';

/**
 * How deployments (and rollbacks) are polled unless a deployment's settings say otherwise
 * (`ctx.settings.polling`): GET /v13/deployments every second (as the client does at first); after 10
 * minutes the deployment is canceled and fails with a timeout.
 */
export const VERCEL_DEPLOYMENT_POLLING: Polling = { intervalMs: 1_000, maxMs: 10 * 60_000 };

/** The deployment ended on Vercel's side (failed, canceled, timed out): retrying means a new one. */
export class DeploymentEnded extends PlatformError {}

/** The deployment no longer exists, read during the wait: the wait answers null. */
class DeploymentGone extends Error {}

/** Polls until READY with the production alias; null when the deployment no longer exists. */
export async function waitForDeployment(
  vercel: VercelClient,
  ctx: Ctx,
  { done }: Checkpointed<VercelCheckpoint>,
  id: string,
): Promise<VercelDeployment | null> {
  await ctx.report('activate', 85, `Waiting for Vercel deployment ${id}`);
  let readyPolls = 0;
  let promoted = false;
  const polling = ctx.settings.polling;
  const ready = await pollUntil({
    read: async () => {
      const d = await vercel.getDeployment(id);
      if (!d) throw new DeploymentGone();
      return d;
    },
    done: (d) => d.readyState === 'READY' && !!d.aliasAssigned && !!d.alias?.length,
    failed: (d) => {
      if (d.readyState === 'ERROR' || d.readyState.endsWith('_ERROR'))
        return new DeploymentEnded(
          'bad_request',
          `Vercel could not deploy the site: ${d.errorMessage ?? d.errorCode ?? 'the deployment failed'}`,
          `${d.errorCode ?? ''} ${d.errorMessage ?? ''}`.trim(),
        );
      if (d.readyState === 'CANCELED') return new DeploymentEnded('conflict', 'The Vercel deployment was canceled. Deploy again.');
      if (d.aliasError) return new DeploymentEnded('unavailable', `Vercel could not assign the site's address: ${d.aliasError.message}`, d.aliasError.code);
    },
    stateOf: (d) => d.readyState,
    onNewState: (d) => ctx.report('activate', d.readyState === 'READY' ? 92 : 88, `Vercel deployment is ${d.readyState.toLowerCase()}`),
    // READY without the production domain: while the project is rolled back Vercel gives new production
    // deployments none until one is promoted (https://vercel.com/docs/instant-rollback). Asked at once,
    // then every 10th poll (the alias can also simply lag).
    pending: async (d) => {
      if (d.readyState === 'READY' && readyPolls++ % 10 === 0) promoted = await promoteIfRolledBack(vercel, ctx, d, promoted);
    },
    intervalMs: polling.intervalMs,
    deadline: (done.startedAt ?? Date.now()) + polling.maxMs,
    timedOut: async () => {
      await vercel.cancelDeployment(id).catch(() => {});
      return new DeploymentEnded('timeout', `Vercel did not finish the deployment in ${Math.round(polling.maxMs / 60_000)} minutes. Try again later.`);
    },
  }).catch((err: unknown) => {
    if (err instanceof DeploymentGone) return null;
    throw err;
  });
  if (ready) await ctx.report('activate', 95, 'Vercel deployment is live');
  return ready;
}

/**
 * Promotes `d` when the project is rolled back (its last alias request is a rollback); answers whether
 * it has been promoted. A promote Vercel reports as failed ends the deployment.
 */
async function promoteIfRolledBack(vercel: VercelClient, ctx: Ctx, d: VercelDeployment, promoted: boolean): Promise<boolean> {
  const request = (await vercel.getProject(d.projectId, { rollbackInfo: true }))?.lastAliasRequest;
  if (promoted) {
    if (request?.type === 'promote' && request.toDeploymentId === d.id && request.jobStatus === 'failed')
      throw new DeploymentEnded('unavailable', 'Vercel could not give the new deployment the production domain. Deploy again.');
    return true;
  }
  if (request?.type !== 'rollback' || request.toDeploymentId === d.id) return false;
  await ctx.report(
    'activate',
    93,
    `The Vercel project is rolled back to deployment ${request.toDeploymentId}, so Vercel gives new deployments no production domain: promoting ${d.id} (this ends the rollback)`,
  );
  await vercel.promote(d.projectId, d.id);
  return true;
}

/**
 * The project's production domain (a host name, as Vercel answers it) in the configured URL template.
 * Not simply `alias[0]`: a production deployment's aliases also include `{project}-{scope}.vercel.app`,
 * which sits behind Deployment Protection (https://vercel.com/docs/deployment-protection), in no promised
 * order. Of the project's production domains, one the deployment has, the default `{project}.vercel.app`
 * (named after the project) before custom ones, else the oldest.
 */
export async function siteUrl(vercel: VercelClient, projectId: string, d: VercelDeployment): Promise<string> {
  const aliases = new Set(d.alias ?? []);
  const domains = (await vercel.productionDomains(projectId)).sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
  const own = domains.filter((x) => aliases.has(x.name));
  const pool = own.length ? own : domains;
  const chosen = pool.find((x) => x.name.startsWith(`${d.name}.`))?.name ?? pool[0]?.name;
  if (!chosen) throw new PlatformError('unavailable', 'Vercel answered the deployment without a production domain of its project. Deploy again.');
  return vercelSettings().siteUrl.replaceAll('{alias}', chosen);
}
