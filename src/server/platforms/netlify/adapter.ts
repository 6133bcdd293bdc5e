// Deploying a site to Netlify with a digest deploy: the site (one `huskit-…` site per product site in
// the shared team, or one named after the project in the user's own account), a deploy carrying every
// path's SHA-1, uploads of exactly the SHA-1s Netlify lists as required (fanned out to their paths,
// 5 at a time), then polling until the deploy is ready. The site id and the deploy id are
// checkpointed as soon as they exist, so a resumed attempt continues rather than starting over; a
// rollback restores the earlier deploy natively (restoreSiteDeploy) instead of uploading.
import { createHash, randomBytes } from 'node:crypto';
import type { DeployContext, DeployOutcome, PlatformAdapter, SiteTarget } from '../adapter';
import { forEachConcurrently } from '../concurrency';
import { bytesBody, PlatformError } from '../http';
import { dnsLabel, labelWithSuffix, shortId } from '../naming';
import { pollingSettings, sleep } from '../polling';
import { NameTaken, NetlifyClient, type NetlifyCredentials, type NetlifyDeploy, type NetlifySite } from './client';
import { readAll } from '../../storage/object-store';
import { netlifySettings } from './settings';

export type { NetlifyCredentials } from './client';

/** Quick-deploy sites all start with this; the cleanup job only ever removes sites that do. */
export const PLATFORM_SITE_PREFIX = 'huskit-';
/** netlify/cli diffs maps above this size asynchronously (spec §3.4). */
const SYNC_FILE_LIMIT = 100;
const UPLOAD_CONCURRENCY = 5;
/** Uploads reported in one line of the log: at most this many files, and their bytes. */
const BATCH_FILES = 50;
const BATCH_BYTES = 16 * 1024 * 1024;
/** Unknown paths answer index.html (client-routed apps), unless the site has its own 404.html. */
const SPA_RULE = '/*    /index.html    200';
/** States of a deploy that has finished processing (spec §3.8, §4). */
const FINISHED_STATES = ['ready', 'current', 'old'];
/** The diff is done in these states: netlify-cli's waitForDiff (src/utils/deploy/util.ts). */
const DIFF_DONE_STATES = ['prepared', 'uploading', 'uploaded', 'ready'];

// A read of the deploy every second (as netlify/cli); after 10 minutes the deploy is cancelled and the
// deployment fails with a timeout.
const pollingOfDeploys = pollingSettings({ intervalMs: 1_000, maxMs: 10 * 60_000 });
const polling = pollingOfDeploys.current;
/** Changes how deploys are polled in this process (tests shorten the interval). */
export const configureNetlifyPolling = pollingOfDeploys.configure;
const client = (credentials: NetlifyCredentials) => new NetlifyClient(netlifySettings().apiUrl, credentials);

/** What earlier attempts of this deployment finished; { siteId, deployId } is also what a rollback restores. */
interface Checkpoint {
  siteId?: string;
  accountSlug?: string;
  /** The deploy of this deployment once created; null after it failed, so the next attempt makes a new one. */
  deployId?: string | null;
  /** The deploy whose required files were all uploaded, so a resumed attempt does not send them again. */
  uploadedDeployId?: string;
}

type Ctx = DeployContext<NetlifyCredentials>;
type Save = (patch: Partial<Checkpoint>) => Promise<void>;

export const netlifyAdapter: PlatformAdapter<NetlifyCredentials> = {
  platform: 'netlify',

  platformCredentials() {
    const token = netlifySettings().authToken;
    return token ? { token } : null;
  },

  refuseFile(path) {
    // Netlify's API and CLI refuse these rather than escaping them.
    if (/[#?]/.test(path)) return `Netlify cannot deploy "${path}": file names may not contain # or ?. Rename the file.`;
  },

  parseCredentials(raw) {
    const token = raw.token?.trim();
    // Printable ASCII only: anything else could not travel in a header (and a fetch error would quote it).
    if (!token || !/^[\x21-\x7e]+$/.test(token)) throw new PlatformError('auth', 'The Netlify connection is incomplete. Reconnect your account in Settings.');
    return { token };
  },

  async verify(credentials) {
    const nf = client(credentials);
    const user = await nf.currentUser();
    const teams = await nf.accounts();
    const team = teams.find((t) => t.default) ?? teams[0];
    const facts: Record<string, string> = { accountName: user.full_name || user.email || user.id };
    if (user.email) facts.email = user.email;
    if (team) facts.accountSlug = team.slug;
    return facts;
  },

  async deploy(ctx: Ctx): Promise<DeployOutcome> {
    const nf = client(ctx.credentials);
    const done: Checkpoint = { ...(ctx.checkpoint as Checkpoint) };
    const save: Save = async (patch) => {
      Object.assign(done, patch);
      await ctx.save(patch);
    };

    const restored = await restoreEarlierDeploy(nf, ctx, done, save);
    if (restored) return restored;

    const site = await ensureSite(nf, ctx, done, save);
    const files = await deployFiles(ctx);
    let deploy = done.deployId ? await resumeDeploy(nf, ctx, done.deployId) : undefined;
    if (!deploy) {
      deploy = await createDeploy(nf, ctx, site, files);
      await save({ deployId: deploy.id });
    }
    try {
      // An async diff answers `required` once the deploy leaves "preparing" (a deploy already
      // processing is waited on until ready: its uploads are done).
      if (!DIFF_DONE_STATES.includes(deploy.state) && !FINISHED_STATES.includes(deploy.state))
        deploy = await waitForDeploy(nf, ctx, deploy.id, [...DIFF_DONE_STATES, ...FINISHED_STATES], 10);
      // Like netlify-cli (src/utils/deploy/deploy-site.ts): every required file is uploaded whatever
      // the state says until the deploy is finished; "uploaded" can mean the team's store has the
      // bytes from another deploy while this one still waits for its own.
      if (!FINISHED_STATES.includes(deploy.state) && done.uploadedDeployId !== deploy.id) {
        await uploadRequired(nf, ctx, deploy, files);
        await save({ uploadedDeployId: deploy.id });
      }
      await ctx.report('activate', 85, `Waiting for Netlify to publish deploy ${deploy.id}`);
      // A restored or since-replaced deploy reads "current" / "old": finished all the same.
      deploy = await waitForDeploy(nf, ctx, deploy.id, FINISHED_STATES, 85);
    } catch (err) {
      // A deploy that failed on Netlify's side is not resumed: the next attempt makes a new one.
      if (err instanceof PlatformError && err.kind === 'bad_request') await save({ deployId: null });
      throw err;
    }
    return { url: deploy.ssl_url || deploy.url || site.ssl_url || site.url || '', target: targetOf(site, ctx) };
  },

  async remove(credentials, target: SiteTarget) {
    if (!target.externalId) return;
    const nf = client(credentials);
    // In the shared team only quick-deploy sites are ever ours to delete.
    if (credentials.token === netlifySettings().authToken) {
      const site = await nf.getSite(target.externalId);
      if (!site) return;
      if (!site.name.startsWith(PLATFORM_SITE_PREFIX))
        throw new PlatformError('bad_request', `Netlify site ${site.name.slice(0, 100)} of the shared team is not a Huskit site: it was left alone.`);
    }
    await nf.deleteSite(target.externalId);
  },

  /** Cancels the deploy a given-up deployment left unfinished; a failure to do so changes nothing. */
  async abandon(credentials, checkpoint) {
    const deployId = (checkpoint as Checkpoint).deployId;
    if (!deployId) return;
    await client(credentials)
      .cancelDeploy(deployId)
      .catch(() => undefined);
  },

  /** The quick-deploy sites of the shared team: only those named `huskit-…`, never anything else. */
  async listManagedResources(credentials) {
    const slug = netlifySettings().accountSlug;
    const sites = await client(credentials).listSites(slug);
    return sites
      .filter((s) => s.name.startsWith(PLATFORM_SITE_PREFIX) && (!slug || s.account_slug === slug))
      .map((s) => ({ externalProjectId: s.account_slug ?? slug ?? '', externalId: s.id }));
  },
};

const targetOf = (site: NetlifySite, ctx: Ctx) => ({
  externalProjectId: site.account_slug ?? (ctx.mode === 'platform-managed' ? (netlifySettings().accountSlug ?? '') : ''),
  externalId: site.id,
});

// ---- rollback ----

/** A rollback to a deploy Netlify still holds: restore it. Answers undefined to deploy normally instead. */
async function restoreEarlierDeploy(nf: NetlifyClient, ctx: Ctx, done: Checkpoint, save: Save): Promise<DeployOutcome | undefined> {
  const earlier = ctx.rollbackTo as Checkpoint | undefined;
  const siteId = done.siteId ?? ctx.target.externalId;
  if (!earlier?.deployId || !earlier.siteId || earlier.siteId !== siteId || done.deployId) return undefined;
  await ctx.report('activate', 50, `Restoring Netlify deploy ${earlier.deployId}`);
  try {
    await nf.restoreDeploy(siteId, earlier.deployId);
  } catch (err) {
    if (err instanceof PlatformError && (err.kind === 'not_found' || err.kind === 'bad_request')) {
      await ctx.report('upload', 5, 'Netlify no longer holds that deploy: deploying the files again');
      return undefined;
    }
    throw err;
  }
  const site = await nf.getSite(siteId);
  if (!site) return undefined;
  // This deployment now stands for the restored deploy, so rolling back to it restores the same one.
  await save({ siteId, accountSlug: site.account_slug, deployId: earlier.deployId });
  return { url: site.ssl_url || site.url || '', target: targetOf(site, ctx) };
}

// ---- the site ----

/** The site's name: `huskit-{short id}` in the shared team; the project's name with a short suffix in the user's account. */
function wantedName(ctx: Ctx): string {
  const suffix = shortId(ctx.siteId);
  if (ctx.mode === 'platform-managed') return labelWithSuffix(PLATFORM_SITE_PREFIX.slice(0, -1), suffix);
  return labelWithSuffix(dnsLabel(ctx.siteName) || 'site', suffix.slice(0, 6));
}

async function ensureSite(nf: NetlifyClient, ctx: Ctx, done: Checkpoint, save: Save): Promise<NetlifySite> {
  const known = done.siteId ?? ctx.target.externalId;
  if (known) {
    const site = await nf.getSite(known);
    if (site) {
      if (!done.siteId) await save({ siteId: site.id, accountSlug: site.account_slug });
      return site;
    }
    // Deleted on Netlify since: a new site is made below.
  }
  await ctx.report('site', 5, 'Creating the Netlify site');
  const team = ctx.mode === 'platform-managed' ? netlifySettings().accountSlug : undefined;
  const base = wantedName(ctx);
  for (let round = 0; ; round++) {
    const name = round === 0 ? base : labelWithSuffix(base, randomBytes(3).toString('hex'));
    try {
      const site = await nf.createSite(name, team);
      // Before anything else, so a resumed attempt finds it.
      await save({ siteId: site.id, accountSlug: site.account_slug, deployId: null });
      await ctx.report('site', 8, `Created Netlify site ${site.name}`);
      return site;
    } catch (err) {
      if (!(err instanceof NameTaken)) throw err;
      // Our own site whose creation answer was lost (the name derives from this site's id).
      const ours = round === 0 ? await nf.findSiteByName(name) : undefined;
      if (ours && (!team || ours.account_slug === team)) {
        await save({ siteId: ours.id, accountSlug: ours.account_slug, deployId: null });
        return ours;
      }
      if (round >= 3)
        throw new PlatformError('conflict', 'Netlify refused every site name we tried as taken. Rename the project and deploy again.', err.platformMessage);
    }
  }
}

// ---- the deploy ----

/** The deploy an earlier attempt created, unless it is gone or failed. */
async function resumeDeploy(nf: NetlifyClient, ctx: Ctx, deployId: string): Promise<NetlifyDeploy | undefined> {
  const deploy = await nf.getDeploy(deployId);
  if (!deploy || deploy.state === 'error') return undefined;
  await ctx.report('upload', 10, `Resuming Netlify deploy ${deployId} (${deploy.state})`);
  return deploy;
}

interface DeployFile {
  path: string;
  sha1: string;
  size: number;
  /** The blob to read, or the bytes themselves for a file made here (the generated _redirects). */
  source: { sha256: string } | { bytes: Buffer };
}

/** Every path of the site with its SHA-1; `_redirects` gets the SPA fallback at its end unless the site has a 404.html. */
async function deployFiles(ctx: Ctx): Promise<DeployFile[]> {
  const paths = Object.keys(ctx.manifest).sort();
  if (paths.length === 0) throw new PlatformError('bad_request', 'The site has no files to deploy.');
  const bad = paths.find((p) => /[#?]/.test(p));
  if (bad) throw new PlatformError('bad_request', `The file "${bad.slice(0, 100)}" cannot be deployed to Netlify: names may not contain # or ?.`);
  const sha1s = await ctx.readSha1s([...new Set(paths.map((p) => ctx.manifest[p]!.sha256))]);
  const files: DeployFile[] = paths.map((path) => {
    const entry = ctx.manifest[path]!;
    return { path, sha1: sha1s.get(entry.sha256)!, size: entry.size, source: { sha256: entry.sha256 } };
  });
  if (ctx.manifest['404.html']) return files;
  const existing = ctx.manifest._redirects ? (await readAll(await ctx.openBlob(ctx.manifest._redirects.sha256))).toString('utf8') : '';
  // Generated here, a few bytes: its SHA-1 is the one digest the adapter computes itself.
  const bytes = Buffer.from(`${existing}${existing && !existing.endsWith('\n') ? '\n' : ''}${SPA_RULE}\n`);
  const redirects: DeployFile = { path: '_redirects', sha1: createHash('sha1').update(bytes).digest('hex'), size: bytes.length, source: { bytes } };
  return [...files.filter((f) => f.path !== '_redirects'), redirects];
}

async function createDeploy(nf: NetlifyClient, ctx: Ctx, site: NetlifySite, files: DeployFile[]): Promise<NetlifyDeploy> {
  await ctx.report('upload', 10, `Asking Netlify which of ${files.length} files it needs`);
  const map = Object.fromEntries(files.map((f) => [f.path, f.sha1]));
  return nf.createDeploy(site.id, { files: map, async: files.length > SYNC_FILE_LIMIT, draft: false }, `Huskit deployment ${ctx.deploymentId}`);
}

/** Uploads every path whose SHA-1 Netlify requires, each streamed from the blob store, 5 at a time. */
async function uploadRequired(nf: NetlifyClient, ctx: Ctx, deploy: NetlifyDeploy, files: DeployFile[]): Promise<void> {
  const required = new Set(deploy.required ?? []);
  if (required.size === 0) {
    await ctx.report('upload', 80, 'Netlify already has every file');
    return;
  }
  const wanted = files.filter((f) => required.has(f.sha1));
  const missing = [...required].filter((sha) => !wanted.some((f) => f.sha1 === sha));
  if (missing.length)
    throw new PlatformError('bad_request', 'Netlify asked for a file that is not part of this site. Deploy again.', `unknown SHA-1 ${missing[0]}`);

  const totalBytes = wanted.reduce((n, f) => n + f.size, 0);
  let sentBytes = 0;
  let sentFiles = 0;
  for (const batch of batches(wanted)) {
    await forEachConcurrently(batch, UPLOAD_CONCURRENCY, async (file) => {
      const { source } = file;
      const body = 'bytes' in source ? bytesBody(source.bytes) : { length: file.size, open: () => ctx.openBlob(source.sha256) };
      await nf.uploadFile(deploy.id, file.path, body);
      sentBytes += file.size;
      sentFiles++;
    });
    await ctx.report(
      'upload',
      10 + Math.round((70 * sentBytes) / Math.max(totalBytes, 1)),
      `Uploaded ${sentFiles} of ${wanted.length} changed file${wanted.length === 1 ? '' : 's'} (${sentBytes} of ${totalBytes} bytes) to Netlify`,
    );
  }
}

function batches(files: DeployFile[]): DeployFile[][] {
  const out: DeployFile[][] = [];
  let current: DeployFile[] = [];
  let bytes = 0;
  for (const file of files) {
    if (current.length && (current.length >= BATCH_FILES || bytes + file.size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length) out.push(current);
  return out;
}

const PROGRESS: Record<string, number> = { new: 10, preparing: 10, prepared: 80, uploading: 80, uploaded: 88, processing: 92 };

/** Polls until the deploy reaches one of `states`; `error` fails with Netlify's message, too long cancels it. */
async function waitForDeploy(nf: NetlifyClient, ctx: Ctx, deployId: string, states: string[], floor: number): Promise<NetlifyDeploy> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const deploy = await nf.getDeploy(deployId);
    if (!deploy) throw new PlatformError('bad_request', `Netlify deploy ${deployId} disappeared. Deploy again.`);
    if (states.includes(deploy.state)) return deploy;
    if (deploy.state === 'error') {
      const said = deploy.error_message || `Deploy ${deployId} had an error`;
      throw new PlatformError('bad_request', `Netlify could not publish the site: ${said}`, said);
    }
    if (deploy.state !== last) {
      last = deploy.state;
      const step = deploy.state === 'preparing' || deploy.state === 'new' ? 'upload' : 'activate';
      await ctx.report(step, Math.max(floor, PROGRESS[deploy.state] ?? 90), `Netlify deploy ${deployId} is ${deploy.state}`);
    }
    if (Date.now() - started > polling.maxMs) {
      await nf.cancelDeploy(deployId).catch(() => undefined);
      throw new PlatformError('timeout', 'Netlify did not finish the deploy in time. Deploy again in a few minutes.', `last state: ${deploy.state}`);
    }
    await sleep(polling.intervalMs);
  }
}
