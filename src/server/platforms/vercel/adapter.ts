// Deploying a site to Vercel as a file deployment: a project per site (found or created once and
// checkpointed), POST /v13/deployments listing every file by SHA-1, exactly the files Vercel says are
// missing uploaded to /v2/files, the same POST again (deployment.ts), then GET /v13/deployments until
// READY with the production alias assigned (readiness.ts). A rollback re-points the alias to the
// earlier deployment instead of uploading (Vercel's REST API docs: deployments, instant rollback).
import { DEFAULT_CALL_SETTINGS, type CallSettings, type DeployOutcome, type PlatformAdapter, type SiteTarget } from '../adapter';
import { checkpointOf, type Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import { pollUntil } from '../polling';
import { VercelClient, type VercelCredentials, type VercelDeployment } from './client';
import { createDeployment, madeFor } from './deployment';
import { PLATFORM_PROJECT_PREFIX, projectName, STATIC_PROJECT_SETTINGS } from './project';
import { DeploymentEnded, siteUrl, waitForDeployment } from './readiness';
import { vercelSettings } from './settings';
import type { Ctx, VercelCheckpoint } from './state';
import { early } from '../concurrency';

export type { VercelCredentials } from './client';
export { PLATFORM_PROJECT_PREFIX } from './project';

const client = (credentials: VercelCredentials, { retries }: CallSettings = DEFAULT_CALL_SETTINGS) =>
  new VercelClient(vercelSettings().apiUrl, credentials, retries);

export const vercelAdapter: PlatformAdapter<VercelCredentials> = {
  platform: 'vercel',

  platformCredentials() {
    const { token, teamId } = vercelSettings();
    return token ? { token, ...(teamId ? { teamId } : {}) } : null;
  },

  parseCredentials(raw) {
    const token = raw.token?.trim();
    if (!token) throw new PlatformError('auth', 'The Vercel connection is incomplete. Reconnect your account in Settings.');
    const teamId = raw.teamId?.trim();
    return { token, ...(teamId ? { teamId } : {}) };
  },

  async verify(credentials, settings) {
    const vercel = client(credentials, settings);
    const team = credentials.teamId ? early(vercel.team(credentials.teamId)) : undefined;
    const user = await vercel.user();
    const facts: Record<string, string> = { username: user.username, email: user.email };
    if (team) {
      const { id, name, slug } = await team;
      Object.assign(facts, { teamId: id, teamName: name, teamSlug: slug });
    }
    return facts;
  },

  async deploy(ctx: Ctx): Promise<DeployOutcome> {
    const vercel = client(ctx.credentials, ctx.settings);
    const checkpoint = checkpointOf<VercelCheckpoint>(ctx);
    const { done, save } = checkpoint;

    const project = await ensureProject(vercel, ctx, checkpoint);
    const target = { externalProjectId: ctx.credentials.teamId ?? project.accountId, externalId: project.id };

    const rolledBack = await rollBack(vercel, ctx, checkpoint, project.id);
    if (rolledBack) return { url: await siteUrl(vercel, project.id, rolledBack), target };

    try {
      let deployment = done.deploymentId ? await waitForDeployment(vercel, ctx, checkpoint, done.deploymentId) : null;
      if (!deployment) {
        // None yet, or the one a crashed attempt started is gone: deploy (again). An attempt that died
        // between Vercel's answer and the checkpoint left one behind: that one is used.
        const created = (await madeFor(vercel, ctx, project.id)) ?? (await createDeployment(vercel, ctx, project));
        await save({ deploymentId: created.id, startedAt: Date.now() });
        deployment = await waitForDeployment(vercel, ctx, checkpoint, created.id);
        if (!deployment) throw new PlatformError('unavailable', 'The new Vercel deployment disappeared while it was being built. Deploy again.');
      }
      return { url: await siteUrl(vercel, project.id, deployment), target };
    } catch (err) {
      // A deployment that ended badly on Vercel is not resumed: the next attempt makes a new one.
      if (err instanceof DeploymentEnded) await save({ deploymentId: null, startedAt: undefined });
      throw err;
    }
  },

  async remove(credentials, target: SiteTarget, mode, settings) {
    if (!target.externalId) return;
    const vercel = client(credentials, settings);
    // In the shared team only quick-deploy projects are ever ours to delete.
    if (mode === 'platform-managed') {
      const project = await vercel.getProject(target.externalId);
      if (!project) return;
      if (!project.name.startsWith(PLATFORM_PROJECT_PREFIX))
        throw new PlatformError('bad_request', `Project ${project.name.slice(0, 100)} of the shared Vercel team is not a Huskit site: it was left alone.`);
    }
    await vercel.deleteProject(target.externalId);
  },

  /** Cancels the deployment a given-up attempt left building; failures are ignored (it ends anyway). */
  async abandon(credentials, checkpoint, settings) {
    const id = (checkpoint as VercelCheckpoint).deploymentId;
    if (!id) return;
    try {
      const vercel = client(credentials, settings);
      const d = await vercel.getDeployment(id);
      if (d && !['READY', 'ERROR', 'CANCELED'].includes(d.readyState)) await vercel.cancelDeployment(id);
    } catch {
      // Nothing to do: an unfinished deployment that cannot be canceled still ends on its own.
    }
  },

  /** The quick-deploy projects of the shared team: only those named `huskit-…`, never anything else. */
  async listManagedResources(credentials, settings) {
    const projects = await client(credentials, settings).listProjects(PLATFORM_PROJECT_PREFIX);
    return projects
      .filter((p) => p.name.startsWith(PLATFORM_PROJECT_PREFIX))
      .map((p) => ({ externalProjectId: credentials.teamId ?? p.accountId, externalId: p.id }));
  },
};

// ---- 1. the project ----

async function ensureProject(vercel: VercelClient, ctx: Ctx, { done, save }: Checkpointed<VercelCheckpoint>): Promise<{ id: string; accountId: string }> {
  if (done.projectId && done.accountId) return { id: done.projectId, accountId: done.accountId };
  await ctx.report('project', 5, 'Finding the Vercel project');
  // Earlier deployments of the site went to this project, unless someone deleted it since.
  const earlier = ctx.target.externalId ? await vercel.getProject(ctx.target.externalId) : null;
  const name = projectName(ctx);
  let project = earlier ?? (await vercel.getProject(name));
  if (!project) {
    await ctx.report('project', 8, `Creating Vercel project ${name}`);
    // A lost answer to an earlier create leaves the project there: 409, then it is looked up.
    project = (await vercel.createProject({ name, ...STATIC_PROJECT_SETTINGS })) ?? (await vercel.getProject(name));
    if (!project) throw new PlatformError('unavailable', `Vercel reported project ${name} as existing but could not find it. Deploy again.`);
  }
  await save({ projectId: project.id, accountId: project.accountId });
  return { id: project.id, accountId: project.accountId };
}

// ---- 2. rollback: re-point the alias, no uploads ----

async function rollBack(vercel: VercelClient, ctx: Ctx, { done, save }: Checkpointed<VercelCheckpoint>, projectId: string): Promise<VercelDeployment | null> {
  const to = ctx.rollbackTo as { projectId?: unknown; deploymentId?: unknown } | undefined;
  if (typeof to?.deploymentId !== 'string' || to.projectId !== projectId) return null;
  // An earlier attempt of this deployment already went the upload way.
  if (done.deploymentId && done.deploymentId !== to.deploymentId) return null;
  const earlier = await vercel.getDeployment(to.deploymentId);
  if (!earlier || earlier.projectId !== projectId || earlier.readyState !== 'READY') return null;

  await ctx.report('activate', 50, `Rolling back to Vercel deployment ${earlier.id}`);
  try {
    await vercel.rollback(projectId, earlier.id);
  } catch (err) {
    // Gone meanwhile, or a rollback Vercel refuses (Hobby: only to the previous production): upload instead.
    if (err instanceof PlatformError && (err.kind === 'not_found' || err.kind === 'bad_request' || err.kind === 'conflict')) return null;
    throw err;
  }
  await save({ deploymentId: earlier.id, startedAt: Date.now() });
  await pollUntil({
    // The state of the project's last alias request once it is this rollback's.
    read: async () => {
      const request = (await vercel.getProject(projectId, { rollbackInfo: true }))?.lastAliasRequest;
      return request?.toDeploymentId === earlier.id ? request.jobStatus : undefined;
    },
    // "skipped": the alias already pointed there.
    done: (status) => status === 'succeeded' || status === 'skipped',
    failed: (status) => (status === 'failed' ? new PlatformError('unavailable', 'Vercel could not roll back. Deploy again.') : undefined),
    intervalMs: ctx.settings.polling.intervalMs,
    deadline: Date.now() + ctx.settings.polling.maxMs,
    timedOut: () => new PlatformError('timeout', 'Vercel did not finish the rollback in time. Try again in a moment.'),
  });
  await ctx.report('activate', 95, 'The production alias points at the earlier deployment again');
  return (await vercel.getDeployment(earlier.id)) ?? earlier;
}
