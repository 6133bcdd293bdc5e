// Deploying a site to Vercel as a file deployment: a project per site (found or created once and
// checkpointed), POST /v13/deployments listing every file by SHA-1, exactly the files Vercel says are
// missing uploaded to /v2/files, the same POST again, then GET /v13/deployments until READY with the
// production alias assigned. A rollback re-points the alias to the earlier deployment instead of
// uploading (Vercel's REST API docs: deployments, instant rollback).
import type { DeployContext, DeployOutcome, PlatformAdapter, SiteTarget } from '../adapter';
import { forEachConcurrently } from '../concurrency';
import { PlatformError } from '../http';
import { dnsLabel, labelWithSuffix, shortId } from '../naming';
import { pollingSettings, sleep } from '../polling';
import { vercelSiteRules } from './site-rules';
import { VercelClient, type DeploymentFile, type VercelCredentials, type VercelDeployment } from './client';
import { readAll } from '../../storage/object-store';
import { vercelSettings } from './settings';

export type { VercelCredentials } from './client';

/** Quick-deploy projects all start with this; the cleanup job only ever removes projects that do. */
export const PLATFORM_PROJECT_PREFIX = 'huskit-';
const UPLOAD_CONCURRENCY = 5;
/** Uploads reported in one line of the log. */
const UPLOAD_BATCH = 50;

/**
 * A pre-built static site: no framework, no install, no build, the uploaded root as the output
 * (an unset outputDirectory would serve only `public/` when the site has such a folder).
 */
export const STATIC_PROJECT_SETTINGS = { framework: null, buildCommand: '', installCommand: '', devCommand: null, outputDirectory: '.' } as const;
/** Unknown paths answer index.html after the filesystem: client-routed single-page apps work on any URL. */
export const SPA_REWRITES = [{ source: '/(.*)', destination: '/index.html' }];

// GET /v13/deployments every second (as the client does at first); after 10 minutes the deployment is
// canceled and fails with a timeout.
const pollingOfDeployments = pollingSettings({ intervalMs: 1_000, maxMs: 10 * 60_000 });
const polling = pollingOfDeployments.current;
/** Changes how deployments are polled in this process (tests shorten the interval). */
export const configureVercelPolling = pollingOfDeployments.configure;
const client = (credentials: VercelCredentials) => new VercelClient(vercelSettings().apiUrl, credentials);

/** What earlier attempts of this deployment finished; also what a later rollback reads (rollbackTo). */
interface Checkpoint {
  projectId?: string;
  /** The project's owner (team or user id), for the site's target. */
  accountId?: string;
  /** Null once it failed on Vercel's side, so the next attempt makes a new one. */
  deploymentId?: string | null;
  /** When the deployment was created (ms), so that the polling limit spans resumed attempts. */
  startedAt?: number;
}

type Ctx = DeployContext<VercelCredentials>;
type Save = (patch: Partial<Checkpoint>) => Promise<void>;

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

  async verify(credentials) {
    const vercel = client(credentials);
    const user = await vercel.user();
    const facts: Record<string, string> = { username: user.username, email: user.email };
    if (credentials.teamId) {
      const team = await vercel.team(credentials.teamId);
      Object.assign(facts, { teamId: team.id, teamName: team.name, teamSlug: team.slug });
    }
    return facts;
  },

  async deploy(ctx: Ctx): Promise<DeployOutcome> {
    const vercel = client(ctx.credentials);
    const done: Checkpoint = { ...(ctx.checkpoint as Checkpoint) };
    const save: Save = async (patch) => {
      Object.assign(done, patch);
      await ctx.save(patch);
    };

    const project = await ensureProject(vercel, ctx, done, save);
    const target = { externalProjectId: ctx.credentials.teamId ?? project.accountId, externalId: project.id };

    const rolledBack = await rollBack(vercel, ctx, done, save, project.id);
    if (rolledBack) return { url: await siteUrl(vercel, project.id, rolledBack), target };

    try {
      let deployment = done.deploymentId ? await waitForDeployment(vercel, ctx, done, done.deploymentId) : null;
      if (!deployment) {
        // None yet, or the one a crashed attempt started is gone: deploy (again). An attempt that died
        // between Vercel's answer and the checkpoint left one behind: that one is used.
        const created = (await madeFor(vercel, ctx, project.id)) ?? (await createDeployment(vercel, ctx, project));
        await save({ deploymentId: created.id, startedAt: Date.now() });
        deployment = await waitForDeployment(vercel, ctx, done, created.id);
        if (!deployment) throw new PlatformError('unavailable', 'The new Vercel deployment disappeared while it was being built. Deploy again.');
      }
      return { url: await siteUrl(vercel, project.id, deployment), target };
    } catch (err) {
      // A deployment that ended badly on Vercel is not resumed: the next attempt makes a new one.
      if (err instanceof DeploymentEnded) await save({ deploymentId: null, startedAt: undefined });
      throw err;
    }
  },

  async remove(credentials, target: SiteTarget) {
    if (!target.externalId) return;
    const vercel = client(credentials);
    // In the shared team only quick-deploy projects are ever ours to delete.
    const shared = vercelSettings();
    if (credentials.token === shared.token && credentials.teamId === shared.teamId) {
      const project = await vercel.getProject(target.externalId);
      if (!project) return;
      if (!project.name.startsWith(PLATFORM_PROJECT_PREFIX))
        throw new PlatformError('bad_request', `Project ${project.name.slice(0, 100)} of the shared Vercel team is not a Huskit site: it was left alone.`);
    }
    await vercel.deleteProject(target.externalId);
  },

  /** Cancels the deployment a given-up attempt left building; failures are ignored (it ends anyway). */
  async abandon(credentials, checkpoint) {
    const id = (checkpoint as Checkpoint).deploymentId;
    if (!id) return;
    try {
      const vercel = client(credentials);
      const d = await vercel.getDeployment(id);
      if (d && !['READY', 'ERROR', 'CANCELED'].includes(d.readyState)) await vercel.cancelDeployment(id);
    } catch {
      // Nothing to do: an unfinished deployment that cannot be canceled still ends on its own.
    }
  },

  /** The quick-deploy projects of the shared team: only those named `huskit-…`, never anything else. */
  async listManagedResources(credentials) {
    const projects = await client(credentials).listProjects(PLATFORM_PROJECT_PREFIX);
    return projects
      .filter((p) => p.name.startsWith(PLATFORM_PROJECT_PREFIX))
      .map((p) => ({ externalProjectId: credentials.teamId ?? p.accountId, externalId: p.id }));
  },
};

/** Platform-managed: `huskit-{short id}`. User-token: the project's name (Vercel's rules) and a short suffix. */
export function projectName(ctx: Pick<Ctx, 'mode' | 'siteId' | 'siteName'>): string {
  const id = shortId(ctx.siteId);
  if (ctx.mode === 'platform-managed') return `${PLATFORM_PROJECT_PREFIX}${id}`;
  return labelWithSuffix(dnsLabel(ctx.siteName) || 'site', id.slice(0, 6));
}

// ---- 1. the project ----

async function ensureProject(vercel: VercelClient, ctx: Ctx, done: Checkpoint, save: Save): Promise<{ id: string; accountId: string }> {
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

async function rollBack(vercel: VercelClient, ctx: Ctx, done: Checkpoint, save: Save, projectId: string): Promise<VercelDeployment | null> {
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
  const started = Date.now();
  for (;;) {
    const project = await vercel.getProject(projectId, { rollbackInfo: true });
    const request = project?.lastAliasRequest;
    // "skipped": the alias already pointed there.
    if (request?.toDeploymentId === earlier.id && (request.jobStatus === 'succeeded' || request.jobStatus === 'skipped')) break;
    if (request?.toDeploymentId === earlier.id && request.jobStatus === 'failed')
      throw new PlatformError('unavailable', 'Vercel could not roll back. Deploy again.');
    if (Date.now() - started > polling.maxMs) throw new PlatformError('timeout', 'Vercel did not finish the rollback in time. Try again in a moment.');
    await sleep(polling.intervalMs);
  }
  await ctx.report('activate', 95, 'The production alias points at the earlier deployment again');
  return (await vercel.getDeployment(earlier.id)) ?? earlier;
}

// ---- 3. the deployment ----

async function createDeployment(vercel: VercelClient, ctx: Ctx, project: { id: string }): Promise<VercelDeployment> {
  const paths = Object.keys(ctx.manifest);
  await ctx.report('upload', 10, `Checking which of ${paths.length} files Vercel needs`);
  const sha1s = await ctx.readSha1s([...new Set(paths.map((p) => ctx.manifest[p]!.sha256))]);
  const files: DeploymentFile[] = paths.map((file) => ({ file, sha: sha1s.get(ctx.manifest[file]!.sha256)!, size: ctx.manifest[file]!.size }));
  const rules = await siteRules(ctx);
  const body = {
    name: projectName(ctx),
    project: project.id,
    target: 'production',
    files,
    projectSettings: STATIC_PROJECT_SETTINGS,
    ...(rules.redirects.length ? { redirects: rules.redirects } : {}),
    ...(rules.headers.length ? { headers: rules.headers } : {}),
    // The same rule as the other platforms: the site's own 404.html when it has one, else the SPA fallback
    // (after the site's own rewrites).
    rewrites: [...rules.rewrites, ...(ctx.manifest['404.html'] ? [] : SPA_REWRITES)],
    // `/about` serves about.html and `/about.html` redirects (308) to it, as the other static hosts'
    // pretty URLs do. A deployment option sent beside redirects and
    // rewrites (vercel/vercel packages/client/src/types.ts DeploymentOptions; vercel.json `cleanUrls`:
    // https://vercel.com/docs/project-configuration#cleanurls).
    cleanUrls: true,
    meta: { huskitDeploymentId: ctx.deploymentId },
  };

  // A create whose answer was lost may have made the deployment: it is looked up before any resend.
  const recover = () => madeFor(vercel, ctx, project.id);
  const first = await vercel.createDeployment(body, recover);
  if ('deployment' in first) {
    await ctx.report('upload', 80, 'Vercel already has every file');
    return first.deployment;
  }
  await uploadMissing(vercel, ctx, files, first.missing);
  const second = await vercel.createDeployment(body, recover);
  if ('missing' in second)
    throw new PlatformError(
      'unavailable',
      `Vercel still reports ${second.missing.length} file(s) missing after the upload. Deploy again: files already sent are kept.`,
    );
  return second.deployment;
}

/**
 * The deployment an earlier create of this attempt made (found by `meta.huskitDeploymentId`), unless it
 * ended (failed or canceled: the next one is a new deployment).
 */
async function madeFor(vercel: VercelClient, ctx: Ctx, projectId: string): Promise<VercelDeployment | undefined> {
  const found = await vercel.findDeployments(projectId, { huskitDeploymentId: ctx.deploymentId });
  const live = found.find((d) => d.readyState !== 'ERROR' && d.readyState !== 'CANCELED' && !d.readyState.endsWith('_ERROR'));
  if (!live) return undefined;
  const deployment = await vercel.getDeployment(live.id);
  if (deployment) await ctx.report('upload', 80, `Vercel had already made deployment ${deployment.id} for this attempt: using it`);
  return deployment ?? undefined;
}

/** The site's _redirects and _headers as Vercel's own keys; what cannot be translated is said in the log. */
async function siteRules(ctx: Ctx) {
  const text = async (path: string) => (ctx.manifest[path] ? (await readAll(await ctx.openBlob(ctx.manifest[path].sha256))).toString('utf8') : undefined);
  const rules = vercelSiteRules(await text('_redirects'), await text('_headers'));
  if (rules.skipped.length)
    await ctx.report(
      'upload',
      10,
      `Vercel has no equivalent for ${rules.skipped.length} line(s) of _redirects/_headers, left out: ${rules.skipped.slice(0, 3).join(' | ').slice(0, 200)}`,
    );
  return rules;
}

/** Uploads exactly the SHA-1s Vercel asked for, each streamed from the blob store, a few at a time. */
async function uploadMissing(vercel: VercelClient, ctx: Ctx, files: DeploymentFile[], missing: string[]): Promise<void> {
  const bySha1 = new Map<string, { sha256: string; size: number }>();
  for (const f of files) bySha1.set(f.sha, { sha256: ctx.manifest[f.file]!.sha256, size: f.size });
  const wanted = [...new Set(missing)].map((sha1) => {
    const file = bySha1.get(sha1);
    if (!file) throw new PlatformError('bad_request', 'Vercel asked for a file that is not part of this site. Deploy again.');
    return { sha1, ...file };
  });
  const totalBytes = wanted.reduce((n, f) => n + f.size, 0);
  let sentBytes = 0;
  let sentFiles = 0;
  for (let i = 0; i < wanted.length; i += UPLOAD_BATCH) {
    const batch = wanted.slice(i, i + UPLOAD_BATCH);
    await forEachConcurrently(batch, UPLOAD_CONCURRENCY, async (f) => {
      await vercel.uploadFile(f.sha1, { length: f.size, open: () => ctx.openBlob(f.sha256) });
      sentBytes += f.size;
      sentFiles++;
    });
    await ctx.report(
      'upload',
      10 + Math.round((70 * sentBytes) / Math.max(totalBytes, 1)),
      `Uploaded ${sentFiles} of ${wanted.length} changed file${wanted.length === 1 ? '' : 's'} (${sentBytes} of ${totalBytes} bytes) to Vercel`,
    );
  }
}

/** The deployment ended on Vercel's side (failed, canceled, timed out): retrying means a new one. */
class DeploymentEnded extends PlatformError {}

/** Polls until READY with the production alias; null when the deployment no longer exists. */
async function waitForDeployment(vercel: VercelClient, ctx: Ctx, done: Checkpoint, id: string): Promise<VercelDeployment | null> {
  await ctx.report('activate', 85, `Waiting for Vercel deployment ${id}`);
  let lastState = '';
  let readyPolls = 0;
  let promoted = false;
  for (;;) {
    const d = await vercel.getDeployment(id);
    if (!d) return null;
    if (d.readyState === 'ERROR' || d.readyState.endsWith('_ERROR'))
      throw new DeploymentEnded(
        'bad_request',
        `Vercel could not deploy the site: ${d.errorMessage ?? d.errorCode ?? 'the deployment failed'}`,
        `${d.errorCode ?? ''} ${d.errorMessage ?? ''}`.trim(),
      );
    if (d.readyState === 'CANCELED') throw new DeploymentEnded('conflict', 'The Vercel deployment was canceled. Deploy again.');
    if (d.aliasError) throw new DeploymentEnded('unavailable', `Vercel could not assign the site's address: ${d.aliasError.message}`, d.aliasError.code);
    if (d.readyState === 'READY' && d.aliasAssigned && d.alias?.length) {
      await ctx.report('activate', 95, 'Vercel deployment is live');
      return d;
    }
    if (d.readyState !== lastState) {
      lastState = d.readyState;
      await ctx.report('activate', d.readyState === 'READY' ? 92 : 88, `Vercel deployment is ${d.readyState.toLowerCase()}`);
    }
    // READY without the production domain: while the project is rolled back Vercel gives new production
    // deployments none until one is promoted (https://vercel.com/docs/instant-rollback). Asked at once,
    // then every 10th poll (the alias can also simply lag).
    if (d.readyState === 'READY' && readyPolls++ % 10 === 0) promoted = await promoteIfRolledBack(vercel, ctx, d, promoted);
    if (Date.now() - (done.startedAt ?? Date.now()) > polling.maxMs) {
      await vercel.cancelDeployment(id).catch(() => {});
      throw new DeploymentEnded('timeout', `Vercel did not finish the deployment in ${Math.round(polling.maxMs / 60_000)} minutes. Try again later.`);
    }
    await sleep(polling.intervalMs);
  }
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
async function siteUrl(vercel: VercelClient, projectId: string, d: VercelDeployment): Promise<string> {
  const aliases = new Set(d.alias ?? []);
  const domains = (await vercel.productionDomains(projectId)).sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
  const own = domains.filter((x) => aliases.has(x.name));
  const pool = own.length ? own : domains;
  const chosen = pool.find((x) => x.name.startsWith(`${d.name}.`))?.name ?? pool[0]?.name;
  if (!chosen) throw new PlatformError('unavailable', 'Vercel answered the deployment without a production domain of its project. Deploy again.');
  return vercelSettings().siteUrl.replaceAll('{alias}', chosen);
}
