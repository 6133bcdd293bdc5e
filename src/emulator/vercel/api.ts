// The Vercel REST API of the local cloud (under /vercel, so that @vercel/client's `${apiUrl}${path}`
// lands here): user and teams, projects, SHA-1 file uploads, deployments with the missing_files loop,
// QUEUED → BUILDING → READY + alias, cancel, rollback/promote, deletion, and the deployed sites by
// host. Strict where the real API is strict (Vercel's REST API docs; @vercel/client).
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http';
import type { EmulatorPlatform, PlatformFactory } from '../platform';
import { Router, type RequestContext } from '../router';
import type { VercelTeam, VercelToken, VercelUser } from './config';
import { badRequest, faultError, frameworkError, notFound, sendVercelError, VercelError } from './errors';
import { deploymentForHost, protectedHost, serveDeployment, serveProtected } from './serve';
import { VercelState, randomId, type Deployment, type Project, type ProjectSettings, type RoutingConfig } from './state';

const PROJECT_NAME = /^[a-z0-9._-]{1,100}$/;
const SHA1 = /^[0-9a-f]{40}$/;
const JSON_LIMIT = 64 * 1024 * 1024;
/** Hobby's "Static File uploads" limit. */
const FILE_LIMIT = 100 * 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
const NO_SETTINGS: ProjectSettings = {
  framework: null,
  buildCommand: null,
  installCommand: null,
  devCommand: null,
  outputDirectory: null,
  rootDirectory: null,
};
const SETTING_KEYS = ['framework', 'buildCommand', 'installCommand', 'devCommand', 'outputDirectory', 'rootDirectory'] as const;

interface Call {
  ctx: RequestContext;
  token: VercelToken;
  user: VercelUser;
  send(status: number, body: unknown): void;
}

/** Whose resources a call works on: a team, or the user's personal account. */
interface Scope {
  ownerId: string;
  slug: string;
  team?: VercelTeam;
}

export const createVercel: PlatformFactory = (services): EmulatorPlatform => {
  const config = services.config.vercel;
  const state = new VercelState(() => config.stepMs);
  const now = () => services.clock.now();
  const rateWindows = new Map<string, { start: number; count: number }>();
  /** Creation times of deployments per owner, for the per-day limit (kept when deployments are deleted). */
  const deployLog = new Map<string, number[]>();
  let lastStamp = 0;
  /** Strictly increasing timestamps, so that `until` pagination never skips a project. */
  const stamp = () => (lastStamp = Math.max(now(), lastStamp + 1));
  const router = new Router();

  const sitesPort = () => services.config.port;
  const hostOf = (label: string) => `${label}.vercel.${services.config.siteDomain}:${sitesPort()}`;

  function rateLimit(token: VercelToken): Record<string, string> {
    const t = now();
    let w = rateWindows.get(token.value);
    if (!w || t - w.start >= 60_000) rateWindows.set(token.value, (w = { start: t, count: 0 }));
    w.count++;
    const headers = {
      'x-ratelimit-limit': String(config.requestsPerMinute),
      'x-ratelimit-remaining': String(Math.max(0, config.requestsPerMinute - w.count)),
      'x-ratelimit-reset': String(Math.ceil((w.start + 60_000) / 1000)),
    };
    if (w.count > config.requestsPerMinute) {
      const retryAfter = String(Math.max(1, Math.ceil((w.start + 60_000 - t) / 1000)));
      const limit = { remaining: 0, reset: w.start + 60_000, total: config.requestsPerMinute };
      throw new VercelError(
        429,
        'rate_limited',
        `Rate limit exceeded. Try again in ${retryAfter} seconds.`,
        { limit },
        { ...headers, 'retry-after': retryAfter },
      );
    }
    return headers;
  }

  function authenticate(ctx: RequestContext): { token: VercelToken; user: VercelUser; headers: Record<string, string> } {
    const header = ctx.req.headers.authorization;
    if (!header) throw new VercelError(403, 'forbidden', 'Not authorized', { missingToken: true });
    const m = /^Bearer (\S+)$/.exec(header);
    const token = m ? config.tokens.find((t) => t.value === m[1]) : undefined;
    const user = token && config.users.find((u) => u.id === token.userId);
    if (!token || !user) throw new VercelError(403, 'forbidden', 'Not authorized', { invalidToken: true });
    return { token, user, headers: rateLimit(token) };
  }

  /** Every route: bearer auth, rate-limit headers on every answer, Vercel's error envelope. */
  function route(method: string, pattern: string, handle: (call: Call) => Promise<void> | void) {
    router.add(method, pattern, async (ctx) => {
      try {
        const auth = authenticate(ctx);
        // On every answer of this call, errors and empty 204s included.
        for (const [name, value] of Object.entries(auth.headers)) ctx.res.setHeader(name, value);
        await handle({ ctx, token: auth.token, user: auth.user, send: (status, body) => sendJson(ctx.res, status, body) });
      } catch (err) {
        if (err instanceof VercelError) return sendVercelError(ctx.res, err);
        throw err;
      }
    });
  }

  const teamsOf = (call: Call) => config.teams.filter((t) => t.memberIds.includes(call.user.id) && (!call.token.teamId || call.token.teamId === t.id));

  /** `?teamId=` or `?slug=` when given (and covered by the token), else the token's own scope. */
  function scope(call: Call): Scope {
    const teamId = call.ctx.url.searchParams.get('teamId');
    const slug = call.ctx.url.searchParams.get('slug');
    if (teamId || slug) {
      const team = config.teams.find((t) => (teamId ? t.id === teamId : t.slug === slug));
      if (!team) throw new VercelError(404, 'not_found', 'Team not found.');
      if (!teamsOf(call).includes(team)) throw new VercelError(403, 'forbidden', 'Not authorized', { teamId: team.id });
      return { ownerId: team.id, slug: team.slug, team };
    }
    if (call.token.teamId) {
      const team = config.teams.find((t) => t.id === call.token.teamId)!;
      return { ownerId: team.id, slug: team.slug, team };
    }
    return { ownerId: call.user.id, slug: call.user.username };
  }

  async function jsonBody(ctx: RequestContext): Promise<Record<string, unknown>> {
    const text = (await ctx.body(JSON_LIMIT)).toString('utf8');
    if (!text) return {};
    try {
      const value = JSON.parse(text) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // answered below
    }
    throw badRequest('Invalid JSON in the request body.', 'bad_request');
  }

  function validProjectName(name: unknown): string {
    if (typeof name !== 'string' || !PROJECT_NAME.test(name) || name.includes('---'))
      throw new VercelError(
        400,
        'invalid_project_name',
        "Project names can be up to 100 characters long and must be lowercase. They can include letters, digits, and the following characters: '.', '_', '-'. However, they cannot contain the sequence '---'.",
        { link: 'https://vercel.com/docs/projects/overview#project-name', action: 'Learn More' },
      );
    return name;
  }

  function settingsFrom(body: Record<string, unknown>): Partial<ProjectSettings> {
    const out: Partial<ProjectSettings> = {};
    for (const key of SETTING_KEYS) {
      if (!(key in body)) continue;
      const value = body[key];
      if (value !== null && typeof value !== 'string') throw badRequest(`Invalid request: \`${key}\` should be string or null.`);
      out[key] = value;
    }
    return out;
  }

  function requireProject(s: Scope, idOrName: string): Project {
    const project = state.project(s.ownerId, idOrName);
    if (!project) throw notFound('Project not found');
    state.settle(project, now());
    return project;
  }

  function requireDeployment(s: Scope, idOrUrl: string): Deployment {
    const host = idOrUrl
      .replace(/^https?:\/\//, '')
      .replace(/\/.*$/, '')
      .replace(/:\d+$/, '')
      .toLowerCase();
    const label = host.split('.')[0]!;
    const d = state.deployments.get(idOrUrl) ?? (host.includes('.') ? state.byHostLabel(label) : undefined);
    if (!d || d.ownerId !== s.ownerId) throw notFound('Deployment not found');
    const project = state.projects.get(d.projectId);
    if (project) state.settle(project, now());
    return d;
  }

  /**
   * A production deployment's aliases: the scope-suffixed `{project}-{scope}` first (behind Deployment
   * Protection, as on Vercel, where `alias` lists it beside `{project}.vercel.app` in no promised
   * order: https://vercel.com/docs/deployments/generated-urls), then the project's production domain.
   */
  const aliasesOf = (p: Project) => [...(p.scopeLabel && p.scopeLabel !== p.aliasLabel ? [hostOf(p.scopeLabel)] : []), hostOf(p.aliasLabel)];

  const teamJson = (t: VercelTeam) => ({
    id: t.id,
    slug: t.slug,
    name: t.name,
    creatorId: t.memberIds[0],
    created: '2026-01-01T00:00:00.000Z',
    avatar: null,
    membership: { role: 'OWNER' },
    limited: false,
  });

  function deploymentJson(d: Deployment) {
    const t = now();
    const readyState = state.readyState(d, t);
    const project = state.projects.get(d.projectId);
    const team = config.teams.find((x) => x.id === d.ownerId);
    const ready = readyState === 'READY';
    // Previews get their automatic alias when READY; production once it took the project's alias.
    const aliasAssigned = ready ? (d.target === 'production' ? (d.aliasAssignedAt ?? null) : state.readyAt(d)) : null;
    return {
      id: d.id,
      uid: d.id,
      name: d.name,
      url: hostOf(d.hostLabel),
      projectId: d.projectId,
      ownerId: d.ownerId,
      team: team ? { id: team.id, slug: team.slug, name: team.name } : null,
      target: d.target,
      readyState,
      status: readyState,
      ...(ready && d.target === 'production' ? { readySubstate: project?.productionDeploymentId === d.id ? 'PROMOTED' : 'STAGED' } : {}),
      aliasAssigned,
      alias: d.target === 'production' && d.aliasAssignedAt !== undefined && project ? aliasesOf(project) : [],
      automaticAliases: [],
      aliasError: null,
      aliasWarning: null,
      inspectorUrl: `https://vercel.com/${team?.slug ?? 'personal'}/${d.name}/${d.id.replace(/^dpl_/, '')}`,
      createdAt: d.createdAt,
      buildingAt: d.createdAt + config.stepMs,
      ...(ready ? { ready: state.readyAt(d) } : {}),
      ...(readyState === 'ERROR' ? d.failure : {}),
      checksState: 'completed',
      checksConclusion: 'succeeded',
      creator: { uid: d.ownerId },
      meta: d.meta,
      version: 2,
      regions: ['iad1'],
      routes: null,
      plan: 'hobby',
      public: false,
      createdIn: 'iad1',
      type: 'LAMBDAS',
      projectSettings: d.projectSettings,
    };
  }

  function projectJson(p: Project, rollbackInfo = false) {
    const production = p.productionDeploymentId ? state.deployments.get(p.productionDeploymentId) : undefined;
    const latest = state.deploymentsOf(p).slice(-5).reverse();
    return {
      id: p.id,
      name: p.name,
      accountId: p.accountId,
      framework: p.framework,
      buildCommand: p.buildCommand,
      installCommand: p.installCommand,
      devCommand: p.devCommand,
      outputDirectory: p.outputDirectory,
      rootDirectory: p.rootDirectory,
      sourceFilesOutsideRootDirectory: true,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
      live: false,
      latestDeployments: latest.map(deploymentJson),
      targets: production ? { production: { ...deploymentJson(production), alias: aliasesOf(p) } } : {},
      ...(rollbackInfo ? { lastAliasRequest: p.lastAliasRequest ?? null } : {}),
    };
  }

  /** What the deployment serves, and why it would fail: the "Other" preset without a build. */
  function outcomeOf(files: Record<string, string>, settings: ProjectSettings, owner: Map<string, Buffer>): { root: string; failure?: Deployment['failure'] } {
    let build = settings.buildCommand;
    if (build === null && files['package.json']) {
      try {
        const pkg = JSON.parse(owner.get(files['package.json'])!.toString('utf8')) as { scripts?: Record<string, string> };
        build = pkg.scripts?.['vercel-build'] ? 'npm run vercel-build' : pkg.scripts?.build ? 'npm run build' : null;
      } catch {
        build = null;
      }
    }
    if (build)
      return {
        root: '',
        failure: {
          errorCode: 'BUILD_FAILED',
          errorMessage: `Command "${build}" exited with 1: the local cloud does not run builds. Deploy the built files with an empty build command.`,
        },
      };
    const out = settings.outputDirectory;
    let root: string;
    if (out === null) root = Object.keys(files).some((f) => f.startsWith('public/')) ? 'public/' : '';
    else if (out === '.' || out === '' || out === './') root = '';
    else root = `${out.replace(/^\.\//, '').replace(/\/+$/, '')}/`;
    if (root && !Object.keys(files).some((f) => f.startsWith(root)))
      return {
        root,
        failure: { errorCode: 'STATIC_BUILD_NO_OUT_DIR', errorMessage: `No Output Directory named "${root.slice(0, -1)}" found after the Build completed.` },
      };
    return { root };
  }

  function checkDailyLimit(ownerId: string) {
    const t = now();
    const log = (deployLog.get(ownerId) ?? []).filter((at) => t - at < DAY_MS);
    deployLog.set(ownerId, log);
    if (log.length < config.deploymentsPerDay) return;
    const reset = log[0]! + DAY_MS;
    const retryAfter = Math.max(1, Math.ceil((reset - t) / 1000));
    throw new VercelError(
      429,
      'api-deployments-free-per-day',
      `Resource is limited - try again in ${Math.ceil(retryAfter / 3600)} hours (more than ${config.deploymentsPerDay}, code: "api-deployments-free-per-day").`,
      { limit: { remaining: 0, reset, resetMs: reset, total: config.deploymentsPerDay } },
      { 'retry-after': String(retryAfter) },
    );
  }

  function routingFrom(body: Record<string, unknown>): RoutingConfig {
    const routing: RoutingConfig = {};
    for (const key of ['rewrites', 'redirects', 'headers', 'routes'] as const) {
      if (body[key] === undefined) continue;
      if (!Array.isArray(body[key])) throw badRequest(`Invalid request: \`${key}\` should be array.`);
      routing[key] = body[key] as never;
    }
    if (body.cleanUrls !== undefined) routing.cleanUrls = body.cleanUrls === true;
    return routing;
  }

  // ---- user and teams ----
  route('GET', '/v2/user', (call) => {
    const u = call.user;
    call.send(200, {
      user: {
        id: u.id,
        email: u.email,
        name: u.name,
        username: u.username,
        avatar: null,
        defaultTeamId: call.token.teamId ?? null,
        version: null,
        createdAt: 1767225600000,
        softBlock: null,
        billing: { plan: 'hobby' },
        limited: false,
      },
    });
  });
  route('GET', '/v1/teams', (call) => call.send(200, { teams: teamsOf(call).map(teamJson) }));
  route('GET', '/v2/teams', (call) => {
    const teams = teamsOf(call).map(teamJson);
    call.send(200, { teams, pagination: { count: teams.length, next: null, prev: null } });
  });
  for (const pattern of ['/teams/:teamId', '/v2/teams/:teamId'])
    route('GET', pattern, (call) => {
      const team = config.teams.find((t) => t.id === call.ctx.params.teamId || t.slug === call.ctx.params.teamId);
      if (!team) throw new VercelError(404, 'not_found', 'Team not found.');
      if (!teamsOf(call).includes(team)) throw new VercelError(403, 'forbidden', 'Not authorized', { teamId: team.id });
      call.send(200, teamJson(team));
    });

  // ---- projects ----
  route('GET', '/v9/projects', (call) => {
    const s = scope(call);
    const params = call.ctx.url.searchParams;
    const search = params.get('search') ?? '';
    const until = Number(params.get('until') ?? Infinity);
    const limit = Math.min(100, Math.max(1, Number(params.get('limit') ?? 20) || 20));
    const all = state.projectsOf(s.ownerId).filter((p) => p.name.includes(search) && p.updatedAt < until);
    const page = all.slice(0, limit);
    for (const p of page) state.settle(p, now());
    const next = all.length > limit ? page[page.length - 1]!.updatedAt : null;
    call.send(200, { projects: page.map((p) => projectJson(p)), pagination: { count: page.length, next, prev: null } });
  });
  route('GET', '/v9/projects/:idOrName', (call) => {
    const project = requireProject(scope(call), call.ctx.params.idOrName!);
    call.send(200, projectJson(project, call.ctx.url.searchParams.get('rollbackInfo') === 'true'));
  });
  // The project's domains (https://vercel.com/docs/rest-api/projects/retrieve-project-domains-by-project-by-id-or-name):
  // here only its production domain, `{label}.vercel.{siteDomain}` (the scope-suffixed alias is not one).
  route('GET', '/v9/projects/:idOrName/domains', (call) => {
    const project = requireProject(scope(call), call.ctx.params.idOrName!);
    const domains = [
      {
        name: hostOf(project.aliasLabel),
        apexName: `vercel.${services.config.siteDomain}`,
        projectId: project.id,
        redirect: null,
        redirectStatusCode: null,
        gitBranch: null,
        customEnvironmentId: null,
        updatedAt: project.createdAt,
        createdAt: project.createdAt,
        verified: true,
      },
    ];
    const production = call.ctx.url.searchParams.get('production');
    const shown = production === 'false' ? [] : domains;
    call.send(200, { domains: shown, pagination: { count: shown.length, next: null, prev: null } });
  });
  route('PATCH', '/v9/projects/:idOrName', async (call) => {
    const s = scope(call);
    const project = requireProject(s, call.ctx.params.idOrName!);
    const body = await jsonBody(call.ctx);
    if (body.name !== undefined && body.name !== project.name) {
      const name = validProjectName(body.name);
      if (state.project(s.ownerId, name)) throw new VercelError(409, 'conflict', `A project with the name "${name}" already exists.`);
      project.name = name;
    }
    Object.assign(project, settingsFrom(body), { updatedAt: stamp() });
    call.send(200, projectJson(project));
  });
  for (const version of ['v1', 'v10', 'v11'])
    route('POST', `/${version}/projects`, async (call) => {
      const s = scope(call);
      const body = await jsonBody(call.ctx);
      const name = validProjectName(body.name);
      if (state.project(s.ownerId, name)) throw new VercelError(409, 'conflict', `A project with the name "${name}" already exists.`);
      const settings = { ...NO_SETTINGS, ...settingsFrom(body) };
      call.send(200, projectJson(state.createProject(s.ownerId, s.slug, name, settings, stamp())));
    });
  for (const pattern of ['/v9/projects/:idOrName', '/v2/projects/:idOrName'])
    route('DELETE', pattern, (call) => {
      state.deleteProject(requireProject(scope(call), call.ctx.params.idOrName!));
      call.ctx.res.writeHead(204);
      call.ctx.res.end();
    });

  // ---- files ----
  for (const pattern of ['/v2/files', '/v2/now/files'])
    route('POST', pattern, async (call) => {
      const s = scope(call);
      const headers = call.ctx.req.headers;
      const digest = String(headers['x-vercel-digest'] ?? headers['x-now-digest'] ?? '');
      if (!digest) throw badRequest('File digest missing (send the SHA-1 in x-vercel-digest).', 'missing_digest');
      if (!SHA1.test(digest))
        throw badRequest(`Invalid file digest "${digest.slice(0, 60)}": it must be the 40-character hex SHA-1 of the file.`, 'invalid_digest');
      const declared = headers['content-length'] ?? headers['x-now-size'];
      if (declared === undefined) throw badRequest('The file size is missing (send Content-Length or x-now-size).', 'missing_size');
      const size = Number(declared);
      if (!Number.isInteger(size) || size < 0) throw badRequest(`Invalid file size "${String(declared)}".`, 'invalid_size');
      if (size > FILE_LIMIT) throw new VercelError(413, 'file_too_large', `The file is ${size} bytes; the limit is ${FILE_LIMIT}.`);
      const bytes = await call.ctx.body(FILE_LIMIT);
      if (bytes.length !== size) throw badRequest(`The file size (${bytes.length}) doesn't match the provided size (${size}).`, 'invalid_file_size');
      const actual = createHash('sha1').update(bytes).digest('hex');
      if (actual !== digest) throw badRequest(`SHA1 sum of the file (${actual}) doesn't match the provided SHA1 sum (${digest}).`, 'invalid_sha');
      const store = state.filesOf(s.ownerId);
      if (store.has(digest)) return call.send(200, {});
      store.set(digest, bytes);
      call.send(200, { urls: [] });
    });

  // ---- deployments ----
  route('POST', '/v13/deployments', async (call) => {
    const s = scope(call);
    const body = await jsonBody(call.ctx);
    const store = state.filesOf(s.ownerId);
    if (body.deploymentId !== undefined || body.gitSource !== undefined) throw badRequest('The local cloud deploys files only: send `files`.');
    const ref = typeof body.project === 'string' ? body.project : body.name;
    if (typeof ref !== 'string' || !ref) throw badRequest('Invalid request: missing required property `name`.', 'bad_request');
    if (!Array.isArray(body.files)) throw badRequest('Invalid request: missing required property `files`.', 'bad_request');
    if (body.files.length > config.maxFiles) throw badRequest(`Invalid request: \`files\` should NOT have more than ${config.maxFiles} items.`, 'bad_request');

    const files: Record<string, string> = {};
    const inline = new Map<string, Buffer>();
    const missing = new Set<string>();
    for (const raw of body.files as Record<string, unknown>[]) {
      const file = raw?.file;
      if (
        typeof file !== 'string' ||
        !file ||
        file.startsWith('/') ||
        file.includes('\\') ||
        file.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')
      )
        throw badRequest(`Invalid request: \`files\` has an invalid path "${String(file).slice(0, 200)}": use a relative path without "..".`, 'invalid_file');
      if ('data' in raw) {
        if ('sha' in raw || 'size' in raw) throw badRequest(`Invalid request: the inline file "${file}" must not have \`sha\` or \`size\`.`, 'invalid_file');
        const encoding = raw.encoding ?? 'utf-8';
        if (typeof raw.data !== 'string' || (encoding !== 'base64' && encoding !== 'utf-8'))
          throw badRequest(`Invalid request: the inline file "${file}" needs string \`data\` and \`encoding\` "base64" or "utf-8".`, 'invalid_file');
        const bytes = Buffer.from(raw.data, encoding === 'base64' ? 'base64' : 'utf8');
        const sha = createHash('sha1').update(bytes).digest('hex');
        inline.set(sha, bytes);
        files[file] = sha;
        continue;
      }
      if (typeof raw.sha !== 'string' || !SHA1.test(raw.sha) || typeof raw.size !== 'number')
        throw badRequest(`Invalid request: the file "${file}" needs a 40-character \`sha\` and a \`size\`.`, 'invalid_file');
      files[file] = raw.sha;
      if (!store.has(raw.sha)) missing.add(raw.sha);
    }
    if (missing.size) throw badRequest('Missing files', 'missing_files', { missing: [...missing] });

    checkDailyLimit(s.ownerId);
    const bodySettings = body.projectSettings && typeof body.projectSettings === 'object' ? settingsFrom(body.projectSettings as Record<string, unknown>) : {};
    const routing = routingFrom(body);
    let project = state.project(s.ownerId, ref);
    if (!project && typeof body.project === 'string') throw notFound('Project not found');
    if (!project) {
      const settings = { ...NO_SETTINGS, ...bodySettings };
      project = state.createProject(s.ownerId, s.slug, validProjectName(ref), settings, stamp());
    } else Object.assign(project, bodySettings, { updatedAt: stamp() });
    state.settle(project, now());

    for (const [sha, bytes] of inline) store.set(sha, bytes);
    const settings = Object.fromEntries(SETTING_KEYS.map((key) => [key, project[key]])) as unknown as ProjectSettings;
    const { root, failure } = outcomeOf(files, settings, store);
    const served = Object.fromEntries(
      Object.entries(files)
        .filter(([f]) => f.startsWith(root))
        .map(([f, sha]) => [f.slice(root.length), sha]),
    );
    const hasProduction = state.deploymentsOf(project).some((d) => d.target === 'production');
    const d: Deployment = {
      id: randomId('dpl_'),
      projectId: project.id,
      ownerId: s.ownerId,
      name: project.name,
      hostLabel: `${project.aliasLabel.slice(0, 40)}-${randomBytes(6).toString('hex').slice(0, 9)}`,
      target: body.target === 'production' || !hasProduction ? 'production' : null,
      createdAt: now(),
      files: served,
      routing,
      projectSettings: settings,
      meta: body.meta && typeof body.meta === 'object' ? (body.meta as Record<string, string>) : {},
      ...(failure ? { failure } : {}),
    };
    state.deployments.set(d.id, d);
    deployLog.get(s.ownerId)!.push(d.createdAt);
    call.send(200, deploymentJson(d));
  });

  // The list in its older (v6) shape, newest first, filtered as `vercel list` filters it: projectId (id
  // or name), target, state, and `meta-{key}={value}` for each metadata key (vercel/vercel
  // packages/cli/src/commands/list/index.ts; fields as in packages/cli/src/util/deploy/get-deployments-by-project-id.ts).
  route('GET', '/v6/deployments', (call) => {
    const s = scope(call);
    const params = call.ctx.url.searchParams;
    const projectRef = params.get('projectId');
    const project = projectRef ? state.project(s.ownerId, projectRef) : undefined;
    if (projectRef && !project) return call.send(200, { deployments: [], pagination: { count: 0, next: null, prev: null } });
    if (project) state.settle(project, now());
    const meta = [...params.entries()].filter(([k]) => k.startsWith('meta-')).map(([k, v]) => [k.slice(5), v] as const);
    const target = params.get('target');
    const states = params.get('state')?.split(',');
    const limit = Math.min(100, Math.max(1, Number(params.get('limit') ?? 20) || 20));
    // Newest first; two created in one millisecond keep their creation order (the map's), newest first.
    const all = [...state.deployments.values()]
      .reverse()
      .filter((d) => d.ownerId === s.ownerId && (!project || d.projectId === project.id))
      .filter((d) => meta.every(([k, v]) => d.meta[k] === v) && (!target || d.target === target))
      .map(deploymentJson)
      .filter((d) => !states || states.includes(d.readyState))
      .sort((a, b) => b.createdAt - a.createdAt);
    const page = all.slice(0, limit);
    const deployments = page.map((d) => ({
      uid: d.id,
      name: d.name,
      url: d.url,
      created: d.createdAt,
      createdAt: d.createdAt,
      buildingAt: d.buildingAt,
      ...(d.ready ? { ready: d.ready } : {}),
      state: d.readyState,
      readyState: d.readyState,
      ...(d.readySubstate ? { readySubstate: d.readySubstate } : {}),
      type: d.type,
      creator: d.creator,
      inspectorUrl: d.inspectorUrl,
      meta: d.meta,
      target: d.target,
      aliasAssigned: d.aliasAssigned,
      aliasError: d.aliasError,
      projectId: d.projectId,
    }));
    const next = all.length > limit ? page[page.length - 1]!.createdAt : null;
    call.send(200, { deployments, pagination: { count: deployments.length, next, prev: null } });
  });

  route('GET', '/v13/deployments/:idOrUrl', (call) => call.send(200, deploymentJson(requireDeployment(scope(call), call.ctx.params.idOrUrl!))));

  route('PATCH', '/v12/deployments/:id/cancel', (call) => {
    const d = requireDeployment(scope(call), call.ctx.params.id!);
    const readyState = state.readyState(d, now());
    if (readyState !== 'QUEUED' && readyState !== 'BUILDING')
      throw badRequest(`The deployment is ${readyState} and can no longer be canceled.`, 'deployment_not_cancelable');
    d.canceledAt = now();
    call.send(200, deploymentJson(d));
  });

  function deleteDeployment(call: Call) {
    const d = requireDeployment(scope(call), call.ctx.params.id!);
    state.deployments.delete(d.id);
    const project = state.projects.get(d.projectId);
    if (project?.productionDeploymentId === d.id) project.productionDeploymentId = undefined;
    call.send(200, { uid: d.id, state: 'DELETED' });
  }
  route('DELETE', '/v13/deployments/:id', deleteDeployment);
  route('DELETE', '/now/deployments/:id', deleteDeployment);
  route('GET', '/now/deployments/:id/aliases', (call) => {
    const d = requireDeployment(scope(call), call.ctx.params.id!);
    const project = state.projects.get(d.projectId);
    const live = project && project.productionDeploymentId === d.id;
    call.send(200, {
      aliases: live
        ? [{ uid: `alias_${d.id.slice(4)}`, alias: hostOf(project.aliasLabel), created: new Date(d.aliasAssignedAt ?? d.createdAt).toISOString() }]
        : [],
    });
  });

  // The build log: what little there is, then the stream closes (the CLI only warns if it fails).
  for (const pattern of ['/v3/now/deployments/:id/events', '/v3/deployments/:id/events', '/v2/deployments/:id/events'])
    route('GET', pattern, (call) => {
      const d = requireDeployment(scope(call), call.ctx.params.id!);
      const json = deploymentJson(d);
      const lines = [
        { type: 'stdout', created: d.createdAt, date: d.createdAt, deploymentId: d.id, text: 'Deploying files (the local cloud runs no build)' },
        { type: 'deployment-state', created: now(), date: now(), deploymentId: d.id, event: 'state', payload: { value: json.readyState } },
      ];
      const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
      call.ctx.res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
      call.ctx.res.end(text);
    });

  // ---- rollback and promote: re-point the production alias ----
  function repoint(type: 'rollback' | 'promote') {
    return (call: Call) => {
      const s = scope(call);
      const project = requireProject(s, call.ctx.params.projectId!);
      const d = requireDeployment(s, call.ctx.params.deploymentId!);
      if (d.projectId !== project.id) throw badRequest('The deployment does not belong to this project.', 'deployment_not_in_project');
      if (state.readyState(d, now()) !== 'READY') throw new VercelError(422, 'deployment_not_ready', 'The deployment is not ready.');
      if (type === 'rollback' && d.target !== 'production') throw new VercelError(422, 'not_production', 'Only production deployments can be rolled back to.');
      const from = project.productionDeploymentId;
      project.productionDeploymentId = d.id;
      project.lastAliasRequest = { jobStatus: 'succeeded', requestedAt: now(), toDeploymentId: d.id, ...(from ? { fromDeploymentId: from } : {}), type };
      d.aliasAssignedAt ??= now();
      d.staged = false;
      if (type === 'promote') d.target = 'production';
      call.send(201, {});
    };
  }
  route('POST', '/v9/projects/:projectId/rollback/:deploymentId', repoint('rollback'));
  route('POST', '/v1/projects/:projectId/rollback/:deploymentId', repoint('rollback'));
  route('POST', '/v10/projects/:projectId/promote/:deploymentId', repoint('promote'));

  return {
    name: 'vercel',
    apis: [
      {
        target: 'vercel',
        prefix: '/vercel',
        router,
        sendError: (res: ServerResponse, kind, message) => sendVercelError(res, frameworkError(kind, message)),
        sendFault: (res, fault) => sendVercelError(res, faultError(fault)),
      },
    ],
    serveSite: (hostname, req, res) => {
      if (protectedHost(state, hostname, services.config.siteDomain)) return serveProtected(res);
      const d = deploymentForHost(state, hostname, services.config.siteDomain, now());
      if (d === null) return false;
      return serveDeployment(state, d, req, res);
    },
    stats: () => {
      let files = 0;
      let fileBytes = 0;
      for (const map of state.files.values())
        for (const bytes of map.values()) {
          files++;
          fileBytes += bytes.length;
        }
      return { files, fileBytes, projects: state.projects.size, deployments: state.deployments.size };
    },
    reset: () => {
      state.reset();
      rateWindows.clear();
      deployLog.clear();
    },
    snapshot: () => {
      const blobs = new Map<string, Buffer>();
      const files: Record<string, string[]> = {};
      for (const [owner, map] of state.files) {
        files[owner] = [...map.keys()];
        for (const [sha, bytes] of map) blobs.set(`vercel-${owner}-${sha}`, bytes);
      }
      return {
        state: { files, projects: [...state.projects.values()], deployments: [...state.deployments.values()], deployLog: Object.fromEntries(deployLog) },
        blobs,
      };
    },
    restore: (saved, readBlob) => {
      const data = saved as { files?: Record<string, string[]>; projects?: Project[]; deployments?: Deployment[]; deployLog?: Record<string, number[]> };
      for (const [owner, shas] of Object.entries(data.files ?? {}))
        for (const sha of shas) {
          const bytes = readBlob(`vercel-${owner}-${sha}`);
          if (bytes) state.filesOf(owner).set(sha, bytes);
        }
      for (const p of data.projects ?? []) state.projects.set(p.id, p);
      for (const d of data.deployments ?? []) state.deployments.set(d.id, d);
      for (const [owner, log] of Object.entries(data.deployLog ?? {})) deployLog.set(owner, log);
    },
  };
};
