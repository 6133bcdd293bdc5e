// What a Vercel project of ours is: its name (by the site's id in the shared team, by the project's
// name in the user's account) and the settings of a pre-built static site.
import { dnsLabel, labelWithSuffix, shortId } from '../naming';
import type { Ctx } from './state';

/** Quick-deploy projects all start with this; the cleanup job only ever removes projects that do. */
export const PLATFORM_PROJECT_PREFIX = 'huskit-';

/**
 * A pre-built static site: no framework, no install, no build, the uploaded root as the output
 * (an unset outputDirectory would serve only `public/` when the site has such a folder).
 */
export const STATIC_PROJECT_SETTINGS = { framework: null, buildCommand: '', installCommand: '', devCommand: null, outputDirectory: '.' } as const;

/** Platform-managed: `huskit-{short id}`. User-token: the project's name (Vercel's rules) and a short suffix. */
export function projectName(ctx: Pick<Ctx, 'mode' | 'siteId' | 'siteName'>): string {
  const id = shortId(ctx.siteId);
  if (ctx.mode === 'platform-managed') return `${PLATFORM_PROJECT_PREFIX}${id}`;
  return labelWithSuffix(dnsLabel(ctx.siteName) || 'site', id.slice(0, 6));
}
