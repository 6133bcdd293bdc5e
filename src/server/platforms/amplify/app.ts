// The app step: the shared app of quick deploy, an app the user named, or an app made for the site
// (found again by the marker in its description, so a lost CreateApp answer never makes a second),
// with the fallback rule and, in an app of the site's own, its _redirects as Amplify rules.
import type { Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import type { AmplifyClient } from './client';
import { checkAppId } from './checks';
import type { AmplifyCheckpoint, Ctx } from './state';
import { amplifyRedirectRules } from './site-rules';
import type { AmplifyApp, CustomRule } from './types';
import { readAll } from '../../storage/object-store';

/** Marks an app created for a site, so a lost CreateApp answer does not lead to a second app. */
export const siteMarker = (siteId: string) => `huskit-site:${siteId}`;

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

export async function ensureApp(amplify: AmplifyClient, ctx: Ctx, checkpoint: Checkpointed<AmplifyCheckpoint>): Promise<{ appId: string; domain: string }> {
  const { done, save } = checkpoint;
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
    app ??= await findOrCreateApp(amplify, ctx, checkpoint, ownRules!);
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

async function findOrCreateApp(amplify: AmplifyClient, ctx: Ctx, checkpoint: Checkpointed<AmplifyCheckpoint>, customRules: CustomRule[]): Promise<AmplifyApp> {
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
  await checkpoint.save({ appId: app.appId, domain: app.defaultDomain });
  await ctx.report('app', 7, `Created Amplify app "${app.name}" (${app.appId})`);
  return app;
}
