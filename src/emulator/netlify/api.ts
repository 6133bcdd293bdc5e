// The Netlify API of the local cloud (under /api/v1): the current user and teams, sites (created in
// the default team or a named one, names global), digest deploys (the file map by SHA-1, `required`,
// uploads per path, states over time, publish on ready), restore, cancel and deletion, with Netlify's
// rate limits and error shapes, and the sites served at {name}.netlify.{siteDomain}. Strict where the
// real API is strict (as netlify-cli and @netlify/api meet it).
import { createHash, randomBytes } from 'node:crypto';
import type { NetlifyToken } from './config';
import type { EmulatorPlatform, PlatformFactory } from '../platform';
import type { RequestContext } from '../router';
import { sendJson } from '../http';
import {
  badRequest,
  faultError,
  frameworkError,
  nameInvalid,
  nameTaken,
  NetlifyError,
  notFound,
  sendNetlifyError,
  unauthorized,
  unprocessable,
} from './errors';
import { parseSiteHost, serveDeploy } from './serve';
import { NetlifyState, type Deploy, type Site } from './state';
import { TailRouter } from '../tail-router';

const SITE_NAME = /^[a-zA-Z\d-]+$/;
const SHA1 = /^[0-9a-f]{40}$/;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The file map of a big site is a large JSON document; uploads may be large files. */
const MAP_LIMIT = 64 * 1024 * 1024;
const FILE_LIMIT = 200 * 1024 * 1024;

interface Window {
  start: number;
  count: number;
}

export const createNetlify: PlatformFactory = (services): EmulatorPlatform => {
  const state = new NetlifyState(services);
  const config = services.config.netlify;
  const now = () => services.clock.now();
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const requestWindows = new Map<string, Window>();
  const deployWindows = new Map<string, { minute: Window; day: Window }>();

  const account = (slug: string) => config.accounts.find((a) => a.slug === slug);

  /** Counts a call in a fixed window; answers the window after counting. */
  function tick(w: Window | undefined, lengthMs: number): Window {
    const t = now();
    const win = !w || t - w.start >= lengthMs ? { start: t, count: 0 } : w;
    win.count++;
    return win;
  }
  const resetSeconds = (w: Window, lengthMs: number) => String(Math.ceil((w.start + lengthMs) / 1000));

  /** The bearer token of the request; every answer carries its rate-limit window (spec §6). */
  function authenticate(ctx: RequestContext): NetlifyToken {
    const m = /^Bearer (\S+)$/.exec(ctx.req.headers.authorization ?? '');
    const token = m ? config.tokens.find((t) => t.value === m[1]) : undefined;
    if (!token) throw unauthorized();
    const w = tick(requestWindows.get(token.value), MINUTE);
    requestWindows.set(token.value, w);
    const headers = {
      'x-ratelimit-limit': String(config.requestsPerMinute),
      'x-ratelimit-remaining': String(Math.max(0, config.requestsPerMinute - w.count)),
      'x-ratelimit-reset': resetSeconds(w, MINUTE),
    };
    for (const [name, value] of Object.entries(headers)) ctx.res.setHeader(name, value);
    if (w.count > config.requestsPerMinute)
      throw new NetlifyError(429, 'API rate limit exceeded, see https://docs.netlify.com/api/get-started/#rate-limiting', headers);
    return token;
  }

  /** Netlify's deploy limits per site: a minute and a day, each answered with its own reset time. */
  function countDeploy(site: Site) {
    const windows = deployWindows.get(site.id);
    const minute = tick(windows?.minute, MINUTE);
    const day = tick(windows?.day, DAY);
    deployWindows.set(site.id, { minute, day });
    const over =
      minute.count > config.deploysPerMinute
        ? { w: minute, len: MINUTE, limit: config.deploysPerMinute, per: 'minute' }
        : day.count > config.deploysPerDay
          ? { w: day, len: DAY, limit: config.deploysPerDay, per: 'day' }
          : undefined;
    if (over) {
      over.w.count--; // a refused deploy does not use the allowance
      throw new NetlifyError(429, `Deploy rate limit exceeded: at most ${over.limit} deploys per ${over.per} for a site`, {
        'x-ratelimit-limit': String(over.limit),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': resetSeconds(over.w, over.len),
      });
    }
  }

  async function readJson(ctx: RequestContext, limit = 1 << 20): Promise<Record<string, unknown>> {
    const text = (await ctx.body(limit)).toString('utf8');
    if (!text.trim()) return {};
    try {
      const body = JSON.parse(text) as unknown;
      if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {
      // answered below
    }
    throw badRequest('The request body is not a JSON object.');
  }

  /** A site by id or domain (`name.netlify.app`), when the token's teams hold it. */
  function siteFor(token: NetlifyToken, idOrDomain: string): Site {
    const domain =
      /^([a-z0-9-]+)\.netlify\.(app|com)$/i.exec(idOrDomain) ?? new RegExp(`^([a-z0-9-]+)\\.netlify\\.${services.config.siteDomain}$`, 'i').exec(idOrDomain);
    const site = domain ? state.siteByName(domain[1]!.toLowerCase()) : state.sites.get(idOrDomain);
    if (!site || !token.accountSlugs.includes(site.accountSlug)) throw notFound();
    return site;
  }

  function deployFor(token: NetlifyToken, deployId: string, site?: Site): { site: Site; deploy: Deploy } {
    const deploy = state.deploys.get(deployId);
    const owner = deploy && state.sites.get(deploy.siteId);
    if (!deploy || !owner || (site && owner !== site) || !token.accountSlugs.includes(owner.accountSlug)) throw notFound();
    return { site: owner, deploy };
  }

  const siteOrigin = (host: string) => `http://${host}.netlify.${services.config.siteDomain}:${services.config.port}`;
  const adminUrl = (site: Site) => `${services.origin()}/_admin/sites/${site.name}`;

  function deployJson(site: Site, d: Deploy) {
    const permalink = siteOrigin(`${d.id}--${site.name}`);
    const live = site.publishedDeployId === d.id;
    return {
      id: d.id,
      site_id: site.id,
      user_id: d.userId,
      build_id: null,
      state: state.state(d),
      name: site.name,
      url: siteOrigin(site.name),
      ssl_url: siteOrigin(site.name),
      admin_url: adminUrl(site),
      deploy_url: permalink,
      deploy_ssl_url: permalink,
      screenshot_url: null,
      review_id: null,
      draft: d.draft,
      required: state.visibleRequired(d),
      required_functions: [],
      error_message: d.error?.message ?? null,
      branch: d.branch ?? null,
      commit_ref: null,
      commit_url: null,
      skipped: null,
      created_at: iso(d.createdAt),
      updated_at: iso(d.updatedAt),
      published_at: live ? iso(site.publishedAt) : null,
      title: d.title ?? null,
      context: d.draft ? 'deploy-preview' : d.branch ? 'branch-deploy' : 'production',
      locked: false,
      review_url: null,
      framework: null,
      function_schedules: [],
    };
  }

  function siteJson(site: Site) {
    const published = state.published(site);
    const acc = account(site.accountSlug);
    return {
      id: site.id,
      site_id: site.id,
      state: 'current',
      plan: 'nf_team_dev',
      name: site.name,
      custom_domain: null,
      domain_aliases: [],
      password: null,
      notification_email: null,
      url: siteOrigin(site.name),
      ssl_url: siteOrigin(site.name),
      admin_url: adminUrl(site),
      screenshot_url: null,
      created_at: iso(site.createdAt),
      updated_at: iso(site.updatedAt),
      user_id: site.userId,
      ssl: true,
      force_ssl: null,
      managed_dns: true,
      deploy_url: published ? siteOrigin(`${published.id}--${site.name}`) : siteOrigin(site.name),
      published_deploy: published ? deployJson(site, published) : null,
      account_id: acc?.id ?? null,
      account_name: acc?.name ?? null,
      account_slug: site.accountSlug,
      git_provider: null,
      deploy_hook: null,
      capabilities: {},
      processing_settings: { html: { pretty_urls: true } },
      build_settings: {},
      id_domain: `${site.id}.netlify.app`,
      default_hooks_data: null,
      build_image: 'noble',
      prerender: null,
      functions_region: 'us-east-2',
    };
  }

  /** The `files` map of a deploy request: keys without their leading `/`, values lower-case SHA-1. */
  function fileMap(value: unknown): Record<string, string> {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw unprocessable('files must be an object of path → SHA-1');
    const files: Record<string, string> = {};
    for (const [rawPath, sha] of Object.entries(value as Record<string, unknown>)) {
      const path = rawPath.replace(/^\//, '');
      if (/[#?]/.test(path)) throw unprocessable(`Invalid filename '${rawPath}'. Deployed filenames cannot contain # or ? characters`);
      if (!path || path.split('/').some((seg) => seg === '' || seg === '..' || seg === '.')) throw unprocessable(`Invalid filename '${rawPath}'`);
      if (typeof sha !== 'string' || !SHA1.test(sha.toLowerCase())) throw unprocessable(`Invalid SHA1 for '${rawPath}': expected 40 hexadecimal characters`);
      files[path] = sha.toLowerCase();
    }
    return files;
  }

  const router = new TailRouter();
  const r = (method: string, pattern: string, handler: (ctx: RequestContext, token: NetlifyToken) => Promise<void> | void) => {
    const wrapped = async (ctx: RequestContext) => {
      try {
        await handler(ctx, authenticate(ctx));
      } catch (err) {
        if (err instanceof NetlifyError) sendNetlifyError(ctx.res, err);
        else throw err;
      }
    };
    if (pattern.endsWith('/*')) router.addTail(method, pattern, wrapped);
    else router.add(method, pattern, wrapped);
  };

  // ---- user and teams ----
  r('GET', '/user', (ctx, token) => {
    const { user } = token;
    const siteCount = [...state.sites.values()].filter((s) => s.userId === user.id).length;
    sendJson(ctx.res, 200, {
      id: user.id,
      uid: user.id,
      full_name: user.fullName,
      avatar_url: null,
      email: user.email,
      affiliate_id: '',
      site_count: siteCount,
      created_at: '2026-01-01T00:00:00.000Z',
      last_login: iso(now()),
      login_providers: ['email'],
      onboarding_progress: { slides: 'done' },
    });
  });

  r('GET', '/accounts', (ctx, token) => {
    sendJson(
      ctx.res,
      200,
      token.accountSlugs.map((slug, i) => {
        const a = account(slug)!;
        return {
          id: a.id,
          name: a.name,
          slug: a.slug,
          type: 'team',
          type_name: 'Starter',
          type_slug: 'starter',
          default: i === 0,
          owner_ids: [token.user.id],
          roles_allowed: ['Owner'],
          created_at: '2026-01-01T00:00:00.000Z',
          updated_at: '2026-01-01T00:00:00.000Z',
        };
      }),
    );
  });

  r('GET', '/accounts/:slug/env', (ctx, token) => {
    if (!token.accountSlugs.includes(ctx.params.slug!)) throw notFound();
    sendJson(ctx.res, 200, []);
  });

  // ---- sites ----
  async function createSite(ctx: RequestContext, token: NetlifyToken, accountSlug: string) {
    if (!token.accountSlugs.includes(accountSlug) || !account(accountSlug)) throw notFound();
    const body = await readJson(ctx);
    const given: unknown = body.name ?? undefined;
    if (given !== undefined && (typeof given !== 'string' || !SITE_NAME.test(given) || given.length > 63)) throw nameInvalid();
    // Without a name Netlify picks one.
    const name = typeof given === 'string' ? given.toLowerCase() : `site-${randomBytes(4).toString('hex')}`;
    if (state.siteByName(name)) throw nameTaken();
    const site = state.createSite(name, accountSlug, token.user.id);
    sendJson(ctx.res, 201, siteJson(site));
  }
  r('POST', '/sites', (ctx, token) => createSite(ctx, token, token.accountSlugs[0]!));
  r('POST', '/:account_slug/sites', (ctx, token) => createSite(ctx, token, ctx.params.account_slug!));

  function listSites(ctx: RequestContext, sites: Site[]) {
    const q = ctx.url.searchParams;
    const name = q.get('name');
    // The real filter is a substring match; clients keep only the exact name (spec §2.2).
    const matching = (name ? sites.filter((s) => s.name.includes(name.toLowerCase())) : sites).sort(
      (a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1),
    );
    const perPage = Math.min(100, Math.max(1, Number(q.get('per_page')) || 100));
    const page = Math.max(1, Number(q.get('page')) || 1);
    sendJson(ctx.res, 200, matching.slice((page - 1) * perPage, page * perPage).map(siteJson));
  }
  r('GET', '/sites', (ctx, token) => {
    const filter = ctx.url.searchParams.get('filter') ?? 'all';
    listSites(
      ctx,
      [...state.sites.values()].filter((s) => token.accountSlugs.includes(s.accountSlug) && (filter !== 'owner' || s.userId === token.user.id)),
    );
  });
  r('GET', '/:account_slug/sites', (ctx, token) => {
    const slug = ctx.params.account_slug!;
    if (!token.accountSlugs.includes(slug)) throw notFound();
    listSites(
      ctx,
      [...state.sites.values()].filter((s) => s.accountSlug === slug),
    );
  });

  r('GET', '/sites/:site_id', (ctx, token) => sendJson(ctx.res, 200, siteJson(siteFor(token, ctx.params.site_id!))));

  r('DELETE', '/sites/:site_id', (ctx, token) => {
    state.deleteSite(siteFor(token, ctx.params.site_id!));
    ctx.res.writeHead(204);
    ctx.res.end();
  });

  // ---- deploys ----
  r('POST', '/sites/:site_id/deploys', async (ctx, token) => {
    const site = siteFor(token, ctx.params.site_id!);
    const body = await readJson(ctx, MAP_LIMIT);
    const files = body.files === undefined ? undefined : fileMap(body.files);
    countDeploy(site);
    const branch = typeof body.branch === 'string' && body.branch ? body.branch : undefined;
    const title = ctx.url.searchParams.get('title') ?? undefined;
    const deploy = state.createDeploy(site, token.user.id, { draft: body.draft === true, branch, title, async: body.async === true });
    if (files) state.submitFiles(site, deploy, files, body.async === true);
    sendJson(ctx.res, 200, deployJson(site, deploy));
  });

  r('PUT', '/sites/:site_id/deploys/:deploy_id', async (ctx, token) => {
    const { site, deploy } = deployFor(token, ctx.params.deploy_id!, siteFor(token, ctx.params.site_id!));
    const body = await readJson(ctx, MAP_LIMIT);
    const current = state.state(deploy);
    if (current === 'ready' || current === 'error') throw unprocessable(`Deploy ${deploy.id} is ${current} and cannot be changed`);
    // draft and branch stay as created: the CLI's PUT always says draft:false (spec §3.9).
    if (body.files !== undefined) state.submitFiles(site, deploy, fileMap(body.files), body.async === true);
    sendJson(ctx.res, 200, deployJson(site, deploy));
  });

  r('GET', '/sites/:site_id/deploys', (ctx, token) => {
    const site = siteFor(token, ctx.params.site_id!);
    state.settle(site);
    sendJson(
      ctx.res,
      200,
      state.deploysOf(site).map((d) => deployJson(site, d)),
    );
  });

  r('GET', '/sites/:site_id/deploys/:deploy_id', (ctx, token) => {
    const { site, deploy } = deployFor(token, ctx.params.deploy_id!, siteFor(token, ctx.params.site_id!));
    state.settle(site);
    sendJson(ctx.res, 200, deployJson(site, deploy));
  });

  r('GET', '/deploys/:deploy_id', (ctx, token) => {
    const { site, deploy } = deployFor(token, ctx.params.deploy_id!);
    state.settle(site);
    sendJson(ctx.res, 200, deployJson(site, deploy));
  });

  r('POST', '/sites/:site_id/deploys/:deploy_id/restore', (ctx, token) => {
    const { site, deploy } = deployFor(token, ctx.params.deploy_id!, siteFor(token, ctx.params.site_id!));
    state.settle(site);
    if (state.state(deploy) !== 'ready') throw unprocessable(`Deploy ${deploy.id} is not ready and cannot be published`);
    state.restore(site, deploy);
    sendJson(ctx.res, 201, deployJson(site, deploy));
  });

  r('POST', '/deploys/:deploy_id/cancel', (ctx, token) => {
    const { site, deploy } = deployFor(token, ctx.params.deploy_id!);
    state.settle(site);
    state.cancel(deploy);
    sendJson(ctx.res, 201, deployJson(site, deploy));
  });

  r('PUT', '/deploys/:deploy_id/files/*', async (ctx, token) => {
    const { site, deploy } = deployFor(token, ctx.params.deploy_id!);
    let path: string;
    try {
      path = decodeURIComponent(ctx.params['*']!).replace(/^\//, '');
    } catch {
      throw unprocessable('No records matched');
    }
    const sha = deploy.files?.[path];
    if (!sha) throw unprocessable('No records matched');
    const current = state.state(deploy);
    if (current === 'error' || current === 'ready') throw unprocessable(`Deploy ${deploy.id} is ${current} and takes no more files`);
    const bytes = await ctx.body(FILE_LIMIT);
    if (createHash('sha1').update(bytes).digest('hex') !== sha) throw unprocessable(`Uploaded file ${path} did not match deploy`);
    state.recordUpload(site, deploy, sha, bytes);
    sendJson(ctx.res, 200, { id: `/${path}`, path: `/${path}`, sha, mime_type: null, size: bytes.length });
  });

  return {
    name: 'netlify',
    apis: [
      {
        target: 'netlify',
        prefix: '/api/v1',
        router,
        sendError: (res, kind) => sendNetlifyError(res, frameworkError(kind)),
        sendFault: (res, fault) => sendNetlifyError(res, faultError(fault, now())),
      },
    ],
    serveSite(hostname, req, res) {
      const host = parseSiteHost(hostname, services.config.siteDomain);
      if (host === null) return false;
      const site = host === 'unknown' ? undefined : state.siteByName(host.name);
      let deploy: Deploy | undefined;
      if (site && host !== 'unknown') {
        const published = state.published(site);
        const permalink = host.deployId ? state.deploys.get(host.deployId) : undefined;
        deploy = host.deployId ? (permalink?.siteId === site.id && permalink.readyAt !== undefined ? permalink : undefined) : published;
      }
      const store = site ? state.storeOf(site.accountSlug) : undefined;
      serveDeploy(deploy, (sha) => store?.get(sha), req, res);
      return true;
    },
    stats: () => state.stats(),
    reset: () => {
      state.reset();
      requestWindows.clear();
      deployWindows.clear();
    },
    snapshot: () => state.snapshot(),
    restore: (saved, readBlob) => state.restoreFrom(saved, readBlob),
  };
};
