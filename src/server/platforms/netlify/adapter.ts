// Deploying a site to Netlify with a digest deploy: the site (one `huskit-…` site per product site in
// the shared team, or one named after the project in the user's own account: site.ts), a deploy
// carrying every path's SHA-1, uploads of exactly the SHA-1s Netlify lists as required (fanned out to
// their paths, 5 at a time: deploy-files.ts), then polling until the deploy is ready (deploy-wait.ts).
// The site id and the deploy id are checkpointed as soon as they exist, so a resumed attempt continues
// rather than starting over; a rollback restores the earlier deploy natively (restoreSiteDeploy)
// instead of uploading.
import { DEFAULT_CALL_SETTINGS, type CallSettings, type DeployOutcome, type PlatformAdapter, type SiteTarget } from '../adapter';
import { checkpointOf, type Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import { NetlifyClient, type NetlifyCredentials } from './client';
import { createDeploy, deployFiles, uploadRequired } from './deploy-files';
import { DIFF_DONE_STATES, FINISHED_STATES, resumeDeploy, waitForDeploy } from './deploy-wait';
import { netlifySettings } from './settings';
import { ensureSite, PLATFORM_SITE_PREFIX, targetOf } from './site';
import type { Ctx, NetlifyCheckpoint } from './state';
import { early } from '../concurrency';

export type { NetlifyCredentials } from './client';
export { PLATFORM_SITE_PREFIX } from './site';

const client = (credentials: NetlifyCredentials, { retries }: CallSettings = DEFAULT_CALL_SETTINGS) =>
  new NetlifyClient(netlifySettings().apiUrl, credentials, retries);

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

  async verify(credentials, settings) {
    const nf = client(credentials, settings);
    const accounts = early(nf.accounts());
    const user = await nf.currentUser();
    const teams = await accounts;
    const team = teams.find((t) => t.default) ?? teams[0];
    const facts: Record<string, string> = { accountName: user.full_name || user.email || user.id };
    if (user.email) facts.email = user.email;
    if (team) facts.accountSlug = team.slug;
    return facts;
  },

  async deploy(ctx: Ctx): Promise<DeployOutcome> {
    const nf = client(ctx.credentials, ctx.settings);
    const checkpoint = checkpointOf<NetlifyCheckpoint>(ctx);
    const { done, save } = checkpoint;

    const restored = await restoreEarlierDeploy(nf, ctx, checkpoint);
    if (restored) return restored;

    const site = await ensureSite(nf, ctx, checkpoint);
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

  async remove(credentials, target: SiteTarget, mode, settings) {
    if (!target.externalId) return;
    const nf = client(credentials, settings);
    // In the shared team only quick-deploy sites are ever ours to delete.
    if (mode === 'platform-managed') {
      const site = await nf.getSite(target.externalId);
      if (!site) return;
      if (!site.name.startsWith(PLATFORM_SITE_PREFIX))
        throw new PlatformError('bad_request', `Netlify site ${site.name.slice(0, 100)} of the shared team is not a Huskit site: it was left alone.`);
    }
    await nf.deleteSite(target.externalId);
  },

  /** Cancels the deploy a given-up deployment left unfinished; a failure to do so changes nothing. */
  async abandon(credentials, checkpoint, settings) {
    const deployId = (checkpoint as NetlifyCheckpoint).deployId;
    if (!deployId) return;
    await client(credentials, settings)
      .cancelDeploy(deployId)
      .catch(() => undefined);
  },

  /** The quick-deploy sites of the shared team: only those named `huskit-…`, never anything else. */
  async listManagedResources(credentials, settings) {
    const slug = netlifySettings().accountSlug;
    const sites = await client(credentials, settings).listSites(slug);
    return sites
      .filter((s) => s.name.startsWith(PLATFORM_SITE_PREFIX) && (!slug || s.account_slug === slug))
      .map((s) => ({ externalProjectId: s.account_slug ?? slug ?? '', externalId: s.id }));
  },
};

// ---- rollback ----

/** A rollback to a deploy Netlify still holds: restore it. Answers undefined to deploy normally instead. */
async function restoreEarlierDeploy(nf: NetlifyClient, ctx: Ctx, { done, save }: Checkpointed<NetlifyCheckpoint>): Promise<DeployOutcome | undefined> {
  const earlier = ctx.rollbackTo as NetlifyCheckpoint | undefined;
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
