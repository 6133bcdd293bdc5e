// The site step: the site of earlier deployments, or a new one (`huskit-{short id}` in the shared team,
// the project's name with a short suffix in the user's account), found again by its name when the
// answer to its creation was lost.
import { randomBytes } from 'node:crypto';
import type { Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import { dnsLabel, labelWithSuffix, shortId } from '../naming';
import { NameTaken, type NetlifyClient, type NetlifySite } from './client';
import { netlifySettings } from './settings';
import type { Ctx, NetlifyCheckpoint } from './state';

/** Quick-deploy sites all start with this; the cleanup job only ever removes sites that do. */
export const PLATFORM_SITE_PREFIX = 'huskit-';

/** The site's name: `huskit-{short id}` in the shared team; the project's name with a short suffix in the user's account. */
function wantedName(ctx: Ctx): string {
  const suffix = shortId(ctx.siteId);
  if (ctx.mode === 'platform-managed') return labelWithSuffix(PLATFORM_SITE_PREFIX.slice(0, -1), suffix);
  return labelWithSuffix(dnsLabel(ctx.siteName) || 'site', suffix.slice(0, 6));
}

export async function ensureSite(nf: NetlifyClient, ctx: Ctx, { done, save }: Checkpointed<NetlifyCheckpoint>): Promise<NetlifySite> {
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

export const targetOf = (site: NetlifySite, ctx: Ctx) => ({
  externalProjectId: site.account_slug ?? (ctx.mode === 'platform-managed' ? (netlifySettings().accountSlug ?? '') : ''),
  externalId: site.id,
});
