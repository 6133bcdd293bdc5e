// Deploying a site to AWS Amplify Hosting as a manual (zip) deployment: the app (the shared app of
// quick deploy, or the user's own), a branch per site, unfinished jobs on it stopped, a zip with
// index.html at its root, written to a temporary file and PUT from it, CreateDeployment + PUT +
// StartDeployment, then GetJob until the job ends. Every step is recorded in the checkpoint so that a
// resumed attempt neither creates a second app nor a second job for a deployment that was already started.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { formatBytes, normalizeSitePath } from '@/lib/site-files';
import type { DeployContext, DeployOutcome, PlatformAdapter, SiteTarget } from '../adapter';
import { forEachConcurrently } from '../concurrency';
import { PlatformError } from '../http';
import { shortId } from '../naming';
import { pollingSettings, sleep } from '../polling';
import {
  AmplifyClient,
  AnswerLostError,
  checkAppId,
  derivedDisplayName,
  UNFINISHED_JOB_STATUSES,
  type AmplifyApp,
  type CustomRule,
  type AmplifyCredentials,
  type AmplifyJob,
} from './client';
import { amplifyRedirectRules } from './site-rules';
import { readAll } from '../../storage/object-store';
import { amplifySettings } from './settings';

export type { AmplifyCredentials } from './client';

/** Quick-deploy branches all start with this; the cleanup job only ever removes branches that do. */
export const PLATFORM_BRANCH_PREFIX = 'hs-';
const USER_BRANCH = 'main';

/** Already-compressed formats go into the zip as they are; deflating them again only costs time. */
const STORED_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'woff', 'woff2', 'zip', 'gz', 'br', 'mp4', 'webm', 'mp3', 'ogg', 'pdf']);

// GetJob every 2.5 s (the Amplify CLI uses 3 s); after 10 minutes (the CLI's) the job is stopped and
// the deployment fails with a timeout.
const pollingOfJobs = pollingSettings({ intervalMs: 2_500, maxMs: 10 * 60_000 });
const polling = pollingOfJobs.current;
/** Changes how jobs are polled in this process (tests shorten the interval). */
export const configureAmplifyPolling = pollingOfJobs.configure;

const client = (credentials: AmplifyCredentials) => new AmplifyClient(credentials, { endpoint: amplifySettings().endpoint });

/** What earlier attempts of this deployment finished. */
interface Checkpoint {
  appId?: string;
  domain?: string;
  branch?: string;
  displayName?: string;
  /** The job of this deployment, once CreateDeployment answered; null after it was given up. */
  jobId?: string | null;
  /** StartDeployment answered for jobId: a resumed attempt only polls it. */
  started?: boolean;
  /** When it was started (ms), so that the polling limit spans resumed attempts. */
  startedAt?: number;
}

type Ctx = DeployContext<AmplifyCredentials>;
type Save = (patch: Partial<Checkpoint>) => Promise<void>;

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

  async verify(credentials) {
    const facts = await client(credentials).verify();
    return Object.fromEntries(Object.entries(facts).filter((e): e is [string, string] => typeof e[1] === 'string'));
  },

  async deploy(ctx: Ctx): Promise<DeployOutcome> {
    // Region, keys and app ids are checked here, before any request.
    const amplify = client(ctx.credentials);
    const done: Checkpoint = { ...(ctx.checkpoint as Checkpoint) };
    const save: Save = async (patch) => {
      Object.assign(done, patch);
      await ctx.save(patch);
    };

    const app = await ensureApp(amplify, ctx, done, save);
    const branch = await ensureBranch(amplify, ctx, done, save, app.appId);

    let jobId = done.jobId && done.started ? done.jobId : await resumeCreatedJob(amplify, ctx, done, save, app.appId, branch.name);
    if (!jobId) {
      const newestJob = await stopUnfinishedJobs(amplify, ctx, app.appId, branch.name);
      jobId = await withTemporaryFile(async (file) => {
        const size = await zipSite(ctx, file);
        const created = await createDeployment(amplify, ctx, app.appId, branch.name, newestJob);
        await save({ jobId: created.jobId, started: false, startedAt: undefined });

        await ctx.report('upload', 50, `Uploading ${formatBytes(size)} (${size} bytes) to Amplify`);
        await amplify.uploadZip(created.zipUploadUrl, { length: size, open: () => createReadStream(file) });
        await ctx.report('upload', 70, `Uploaded ${size} bytes to Amplify`);
        return created.jobId;
      });

      await ctx.report('start', 75, `Starting Amplify job ${jobId} on branch ${branch.name}`);
      await startDeployment(amplify, app.appId, branch.name, jobId);
      await save({ started: true, startedAt: Date.now() });
    }

    await waitForJob(amplify, ctx, done, save, app.appId, branch.name, jobId);

    const url = amplifySettings().siteUrl.replaceAll('{branch}', branch.displayName).replaceAll('{appId}', app.appId).replaceAll('{domain}', app.domain);
    return { url, target: { externalProjectId: app.appId, externalId: branch.name } };
  },

  async remove(credentials, target: SiteTarget) {
    const appId = target.externalProjectId ?? credentials.appId;
    if (!appId || !target.externalId) return;
    // In the shared app only quick-deploy branches are ever ours to delete.
    const shared = amplifySettings();
    if (appId === shared.appId && credentials.accessKeyId === shared.accessKeyId && !target.externalId.startsWith(PLATFORM_BRANCH_PREFIX)) {
      throw new PlatformError('bad_request', `Branch ${target.externalId.slice(0, 100)} of the shared Amplify app is not a Huskit site: it was left alone.`);
    }
    await client(credentials).deleteBranch(appId, target.externalId);
  },

  /** Stops the job a given-up deployment started, so it does not block the branch. */
  async abandon(credentials, checkpoint) {
    const done = checkpoint as Checkpoint;
    if (!done.appId || !done.branch || !done.jobId) return;
    await client(credentials)
      .stopJob(checkAppId(done.appId), done.branch, done.jobId)
      .catch((err: unknown) => {
        if (!(err instanceof PlatformError && (err.kind === 'not_found' || err.kind === 'bad_request'))) throw err;
      });
  },

  /** The quick-deploy branches of the shared app: only those named `hs-…`, never anything else. */
  async listManagedResources(credentials) {
    if (!credentials.appId) return [];
    const appId = credentials.appId;
    const branches = await client(credentials).listBranches(appId);
    return branches.filter((b) => b.branchName.startsWith(PLATFORM_BRANCH_PREFIX)).map((b) => ({ externalProjectId: appId, externalId: b.branchName }));
  },
};

// ---- 1. the app ----

/** Marks an app created for a site, so a lost CreateApp answer does not lead to a second app. */
const siteMarker = (siteId: string) => `huskit-site:${siteId}`;

/** The site's name as the app's name: readable, control characters removed, within 255 characters. */
function appName(siteName: string): string {
  const name = siteName
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 255);
  return name || 'Huskit site';
}

/** Unknown paths answer the site's index.html: client-routed single-page apps work on any URL. */
export const SPA_RULE: CustomRule = { source: '/<*>', target: '/index.html', status: '404-200' };
/** Unknown paths answer the site's own 404.html, with status 404. */
export const NOT_FOUND_PAGE_RULE: CustomRule = { source: '/<*>', target: '/404.html', status: '404' };
const isFallbackRule = (r: CustomRule) => r.source === '/<*>' && (r.status === '404-200' || r.status === '404');

/**
 * The fallback an app should have. Rules are app-wide: the shared app serves every quick deploy, so
 * it keeps the SPA fallback; an app of the site's own follows the site (its 404.html when it has one).
 */
function wantedFallback(ctx: Ctx): CustomRule {
  return ctx.mode === 'user-token' && ctx.manifest['404.html'] ? NOT_FOUND_PAGE_RULE : SPA_RULE;
}
const hasRule = (app: AmplifyApp, rule: CustomRule) =>
  (app.customRules ?? []).some((r) => r.source === rule.source && r.target === rule.target && r.status === rule.status);

/** The rules of an app made for this site: its _redirects in order, then the fallback. */
async function siteRules(ctx: Ctx): Promise<CustomRule[]> {
  const fallback = wantedFallback(ctx);
  const file = ctx.manifest['_redirects'];
  if (!file) return [fallback];
  const { rules, skipped } = amplifyRedirectRules((await readAll(await ctx.openBlob(file.sha256))).toString('utf8'));
  if (skipped.length)
    await ctx.report(
      'app',
      6,
      `Amplify has no equivalent for ${skipped.length} line(s) of _redirects, left out: ${skipped.slice(0, 3).join(' | ').slice(0, 200)}`,
    );
  return [...rules, fallback];
}
const sameRules = (a: CustomRule[], b: CustomRule[]) =>
  a.length === b.length && a.every((r, i) => r.source === b[i]!.source && r.target === b[i]!.target && (r.status ?? '') === (b[i]!.status ?? ''));

async function ensureApp(amplify: AmplifyClient, ctx: Ctx, done: Checkpoint, save: Save): Promise<{ appId: string; domain: string }> {
  if (done.appId && done.domain) return { appId: checkAppId(done.appId), domain: done.domain };
  await ctx.report('app', 5, 'Finding the Amplify app');

  const fixed = ctx.mode === 'platform-managed' ? ctx.credentials.appId : (ctx.credentials.appId ?? done.appId);
  if (ctx.mode === 'platform-managed' && !fixed)
    throw new PlatformError('auth', 'Quick deploy to Amplify is not configured on this server (AMPLIFY_APP_ID is missing).');
  // An app made for this site carries the site's rules (read once: a new app is created with them).
  const ownRules = ctx.mode === 'user-token' && !ctx.credentials.appId ? await siteRules(ctx) : undefined;

  let app: AmplifyApp | undefined;
  if (fixed) {
    app = await amplify.getApp(fixed).catch((err: unknown) => {
      if (err instanceof PlatformError && err.kind === 'not_found')
        throw new PlatformError(
          'not_found',
          `There is no Amplify app ${fixed} in ${amplify.region} for these access keys. Check the app ID and region in Settings.`,
          err.platformMessage,
        );
      throw err;
    });
  } else {
    // User-token without an app id: the app made for this site earlier, unless it was deleted since.
    const earlier = ctx.target.externalProjectId;
    if (earlier) {
      app = await amplify.getApp(earlier).catch((err: unknown) => {
        if (err instanceof PlatformError && err.kind === 'not_found') return undefined;
        throw err;
      });
    }
    app ??= await findOrCreateApp(amplify, ctx, save, ownRules!);
  }
  // The shared app keeps the SPA fallback; an app made for the site gets the site's _redirects and
  // its fallback; an app the user named is theirs to configure.
  if (ctx.mode === 'platform-managed') {
    const fallback = wantedFallback(ctx);
    if (!hasRule(app, fallback)) app = await amplify.updateAppRules(app.appId, [...(app.customRules ?? []).filter((r) => !isFallbackRule(r)), fallback]);
    if (ctx.manifest['_redirects'])
      await ctx.report(
        'app',
        6,
        "Amplify applies redirects to a whole app, and quick deploys share one: this site's _redirects is served as a file. Deploy to your own account to apply it.",
      );
  } else if (ownRules) {
    if (!sameRules(app.customRules ?? [], ownRules)) app = await amplify.updateAppRules(app.appId, ownRules);
  } else if (ctx.manifest['_redirects']) {
    await ctx.report('app', 6, `The Amplify app ${app.appId} is yours to configure: this site's _redirects is not turned into its rules.`);
  }
  await save({ appId: app.appId, domain: app.defaultDomain });
  await ctx.report('app', 8, `Using Amplify app ${app.name ? `"${app.name}" ` : ''}(${app.appId})`);
  return { appId: app.appId, domain: app.defaultDomain };
}

async function findOrCreateApp(amplify: AmplifyClient, ctx: Ctx, save: Save, customRules: CustomRule[]): Promise<AmplifyApp> {
  const marker = siteMarker(ctx.siteId);
  // An app of ours whose creation answer was lost (a crash, a dropped connection) is reused. Keys
  // allowed CreateApp but not ListApps only skip this safety net.
  const existing = await amplify.listApps().then(
    (apps) => apps.find((a) => a.description?.includes(marker)),
    (err: unknown) => {
      if (err instanceof PlatformError && err.kind === 'auth') return undefined;
      throw err;
    },
  );
  if (existing) return existing;
  const app = await amplify.createApp({ name: appName(ctx.siteName), description: `Deployed by Huskit Sites (${marker})`, customRules });
  // Before anything else, so a resumed attempt finds it.
  await save({ appId: app.appId, domain: app.defaultDomain });
  await ctx.report('app', 7, `Created Amplify app "${app.name}" (${app.appId})`);
  return app;
}

// ---- 2. the branch ----

function branchNameFor(ctx: Ctx, done: Checkpoint): string {
  if (done.branch) return done.branch;
  const earlier = ctx.target.externalId;
  if (ctx.mode === 'platform-managed') {
    // Only ever a branch of ours in the shared app, named by id alone: a user's words never become
    // part of the shared app's host names.
    if (earlier?.startsWith(PLATFORM_BRANCH_PREFIX)) return earlier;
    return `${PLATFORM_BRANCH_PREFIX}${shortId(ctx.siteId)}`;
  }
  return earlier || USER_BRANCH;
}

async function ensureBranch(amplify: AmplifyClient, ctx: Ctx, done: Checkpoint, save: Save, appId: string): Promise<{ name: string; displayName: string }> {
  const name = branchNameFor(ctx, done);
  if (done.branch && done.displayName) return { name, displayName: done.displayName };
  await ctx.report('branch', 10, `Preparing branch ${name}`);
  const settings = {
    stage: 'PRODUCTION',
    // Set explicitly: the host prefix is then exactly the (DNS-safe) name rather than Amplify's derivation.
    ...(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name) ? { displayName: name } : {}),
    description: `Deployed by Huskit Sites (${siteMarker(ctx.siteId)})`,
  };
  // Named in the checkpoint before it exists, so the orphan cleanup never takes it for an orphan.
  if (!done.branch) await save({ branch: name });
  // A redeploy expects the branch to exist; a first deploy expects to create it. Both get-or-create.
  const branch =
    ctx.target.externalId === name
      ? await amplify.getBranch(appId, name).catch((err: unknown) => {
          if (err instanceof PlatformError && err.kind === 'not_found') return amplify.createBranch(appId, name, settings);
          throw err;
        })
      : await amplify.createBranch(appId, name, settings);
  const displayName = branch.displayName || derivedDisplayName(name);
  await save({ branch: name, displayName });
  return { name, displayName };
}

// ---- 3. jobs left unfinished ----

/**
 * A job this deployment created in an earlier attempt that may not have been started (a crash between
 * CreateDeployment and the checkpoint of StartDeployment). Answers its id when it did start; otherwise
 * undefined, and a pending one is stopped with the other unfinished jobs.
 */
async function resumeCreatedJob(amplify: AmplifyClient, ctx: Ctx, done: Checkpoint, save: Save, appId: string, branch: string): Promise<string | undefined> {
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
      await sleep(Math.min(polling.intervalMs, 1_000) * round);
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

// ---- 4. the zip ----

/** A fixed date in every entry, so the same files make the same zip. */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

function compressionFor(path: string): 'STORE' | 'DEFLATE' {
  const ext = path.includes('.') ? path.slice(path.lastIndexOf('.') + 1).toLowerCase() : '';
  return STORED_EXTENSIONS.has(ext) ? 'STORE' : 'DEFLATE';
}

/** Files handed to the zip at once: their zlib states (≈ 270 KB each) are what a zip holds in memory. */
const ZIP_WINDOW = 64;
/**
 * Files to deflate up to this size are read whole, so that yazl deflates a window's files at once on
 * the thread pool (one stream per file serialises the deflates: 4–7 s instead of 2.8 s for 5,000 files);
 * larger files, and those stored as they are, stream through.
 */
const ZIP_IN_MEMORY_FILE_BYTES = 1024 * 1024;
/** What a window may read into memory, so that two windows in flight stay far below a whole site. */
const ZIP_WINDOW_BYTES = 8 * 1024 * 1024;
/** Files read from the blob store at once while a window is prepared. */
const ZIP_READS = 8;

/**
 * Writes the zip of `paths`, in order, to `file`. yazl deflates with Node's native zlib on the thread
 * pool. Given every file at once, yazl would start every deflate at once (1.3 GB of zlib state for
 * 5,000 files); so files go in by windows, and the last file of a window is added lazily: yazl asks
 * for it once the files before it are written, which is when the next window may start. Two windows
 * are in flight.
 */
async function zipFiles(ctx: Ctx, paths: string[], file: string): Promise<void> {
  const zip = new ZipFile();
  const output = zip.outputStream as Readable;
  let next = 0;
  let failed = false;
  let windows = Promise.resolve();
  const fail = (err: unknown) => {
    failed = true;
    output.destroy(err instanceof Error ? err : new Error(String(err)));
  };

  const addWindow = async () => {
    if (next >= paths.length) return;
    const window: { path: string; inMemory: boolean }[] = [];
    let windowBytes = 0;
    for (; next < paths.length && window.length < ZIP_WINDOW; next++) {
      const path = paths[next]!;
      const { size } = ctx.manifest[path]!;
      const inMemory = compressionFor(path) === 'DEFLATE' && size <= ZIP_IN_MEMORY_FILE_BYTES;
      if (inMemory && window.length > 0 && windowBytes + size > ZIP_WINDOW_BYTES) break;
      if (inMemory) windowBytes += size;
      window.push({ path, inMemory });
    }
    const last = next < paths.length ? window.length - 1 : -1;
    const bytes = new Map<string, Buffer>();
    const read = window.filter((f, i) => f.inMemory && i !== last);
    await forEachConcurrently(read, ZIP_READS, async ({ path }) => {
      bytes.set(path, await readAll(await ctx.openBlob(ctx.manifest[path]!.sha256)));
    });
    window.forEach(({ path }, i) => {
      const options = { mtime: ZIP_MTIME, mode: 0o100644, compress: compressionFor(path) === 'DEFLATE' };
      const inMemory = bytes.get(path);
      if (inMemory) zip.addBuffer(inMemory, path, options);
      else
        zip.addReadStreamLazy(path, { ...options, size: ctx.manifest[path]!.size }, (cb) => {
          if (i === last) setImmediate(queueWindow);
          if (failed) return;
          // Opened only now that yazl writes it: a window holds no open streams while it waits.
          ctx.openBlob(ctx.manifest[path]!.sha256).then((stream) => {
            stream.on('error', fail);
            cb(null, stream);
          }, fail);
        });
    });
    if (next >= paths.length) zip.end();
  };
  // In order: a window's files are added only after those of the window before.
  const queueWindow = () => {
    windows = windows.then(addWindow).catch(fail);
  };

  zip.on('error', fail);
  queueWindow();
  queueWindow();
  await pipeline(output, createWriteStream(file));
}

/** A fresh temporary folder for `work`, removed afterwards whatever happens (an error, a cancel). */
async function withTemporaryFile<T>(work: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'huskit-amplify-'));
  try {
    return await work(join(dir, 'site.zip'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Zips the site's files into `file` (index.html at the zip's root: Amplify serves the zip's root), in
 * a stable order, and answers the zip's size in bytes.
 */
export async function zipSite(ctx: Ctx, file: string): Promise<number> {
  const paths = Object.keys(ctx.manifest).sort();
  if (paths.length === 0) throw new PlatformError('bad_request', 'The site has no files to deploy.');
  for (const path of paths) {
    const check = normalizeSitePath(path);
    if (!check.ok || check.path !== path)
      throw new PlatformError('bad_request', `The file path "${path.slice(0, 100)}" cannot be deployed: it ${check.ok ? 'is not normalized' : check.reason}.`);
  }
  const totalBytes = paths.reduce((n, p) => n + ctx.manifest[p]!.size, 0);
  await ctx.report('zip', 20, `Zipping ${paths.length} files (${formatBytes(totalBytes)})`);

  await zipFiles(ctx, paths, file);
  const { size } = await stat(file);
  await ctx.report('zip', 40, `Zipped ${paths.length} files: ${totalBytes} bytes into ${size} bytes`);
  return size;
}

// ---- 7. waiting for the job ----

const BUILD_PROGRESS: Record<string, number> = { CREATED: 78, PENDING: 80, PROVISIONING: 85, RUNNING: 90, CANCELLING: 90 };

function failureReason(job: AmplifyJob): string {
  const step = job.steps.find((s) => s.status === 'FAILED' && s.statusReason) ?? job.steps.find((s) => s.statusReason);
  return step?.statusReason ?? `job ${job.summary.jobId} ended with status ${job.summary.status}`;
}

async function waitForJob(amplify: AmplifyClient, ctx: Ctx, done: Checkpoint, save: Save, appId: string, branch: string, jobId: string): Promise<void> {
  const startedAt = done.startedAt ?? Date.now();
  // A job that did not finish is given up: a new attempt makes a new one.
  const giveUp = () => save({ jobId: null, started: false, startedAt: undefined });
  let last = '';
  for (;;) {
    const job = await amplify.getJob(appId, branch, jobId);
    const status = job.summary.status;
    if (status === 'SUCCEED') {
      await ctx.report('build', 98, `Amplify published job ${jobId}`);
      return;
    }
    if (status === 'FAILED') {
      await giveUp();
      const reason = failureReason(job);
      throw new PlatformError('bad_request', `Amplify could not publish the site: ${reason.slice(0, 300)}`, reason);
    }
    if (status === 'CANCELLED') {
      await giveUp();
      throw new PlatformError('conflict', `The Amplify deployment (job ${jobId}) was cancelled before it finished. Deploy again.`, `job ${jobId} ${status}`);
    }
    if (Date.now() - startedAt > polling.maxMs) {
      await amplify.stopJob(appId, branch, jobId).catch(() => undefined);
      await giveUp();
      throw new PlatformError(
        'timeout',
        `Amplify did not finish publishing within ${Math.round(polling.maxMs / 60_000)} minutes; the job was stopped. Try again later.`,
        `job ${jobId} still ${status}`,
      );
    }
    if (status !== last) {
      last = status;
      await ctx.report('build', BUILD_PROGRESS[status] ?? 85, `Amplify job ${jobId}: ${status.toLowerCase()}`);
    }
    await sleep(polling.intervalMs);
  }
}
