// The GitHub REST API of the local cloud (under /github, so that `new Octokit({ baseUrl:
// `${cloud.url}/github`, auth })` works unchanged): the authenticated user, repositories, the Git
// Data API (git-routes.ts), the Pages API (pages-routes.ts), and the Pages sites served at
// {owner}.github.{siteDomain} (serve.ts). Strict where GitHub is strict: authentication, rate limits,
// fine-grained permissions, validation and conflict answers in GitHub's own shapes.
import type { EmulatorPlatform, PlatformFactory } from '../platform';
import { TailRouter } from '../tail-router';
import type { RequestContext } from '../router';
import { authorize, GithubAuth, acceptedPermissions } from './auth';
import { DOCS, identity, normalizeRepoName, type Call, type GithubDeps, type Register } from './common';
import {
  conflict,
  faultError,
  frameworkError,
  GithubError,
  missingField,
  notFound,
  sendGithubError,
  sendGithubJson,
  sendNoContent,
  invalidField,
  requiresAuthentication,
} from './errors';
import { registerGitRoutes } from './git-routes';
import { GithubJson } from './json';
import { PagesBuilds } from './pages';
import { registerPagesRoutes } from './pages-routes';
import { serveGithubSite } from './serve';
import { GithubState } from './state';

export const createGithub: PlatformFactory = (services): EmulatorPlatform => {
  const state = new GithubState(services);
  const pages = new PagesBuilds(state, services);
  const json = new GithubJson(services, state, pages);
  const auth = new GithubAuth(services);
  const deps: GithubDeps = { services, state, pages, json };
  state.onRefMoved = (repo, ref, pusher) => pages.refMoved(repo, ref, pusher);

  const router = new TailRouter();
  const route: Register = (method, pattern, spec, handler) => {
    const wrapped = async (ctx: RequestContext) => {
      try {
        const actor = auth.authenticate(ctx);
        const needs = spec.needs ?? [];
        if (actor.kind === 'token' && needs.length) ctx.res.setHeader('x-accepted-github-permissions', acceptedPermissions(needs));
        const { owner, repo: name } = ctx.params;
        const repo = owner !== undefined && name !== undefined ? state.repoByName(owner, name.replace(/\.git$/, '')) : undefined;
        if (owner !== undefined && !repo) {
          // An anonymous write is 401 even where nothing exists; anything else learns only 404.
          if (actor.kind === 'anonymous' && needs.some(([, access]) => access === 'write')) throw requiresAuthentication();
          throw notFound();
        }
        authorize(actor, needs, repo);
        if (spec.git && repo && state.isEmpty(repo)) throw conflict('Git Repository is empty.');
        const call: Call = {
          ctx,
          actor,
          user: actor.kind === 'token' ? actor.user : undefined,
          repo: repo!,
          json: (limit) => readJson(ctx, limit),
        };
        await handler(call);
      } catch (err) {
        if (err instanceof GithubError) sendGithubError(ctx.res, err, spec.docs);
        else throw err;
      }
    };
    if (pattern.endsWith('/*')) router.addTail(method, pattern, wrapped);
    else router.add(method, pattern, wrapped);
  };

  // ---- the user and repositories ----
  route('GET', '/user', { docs: `${DOCS}/users/users#get-the-authenticated-user` }, ({ ctx, user }) => {
    sendGithubJson(ctx.res, 200, json.privateUser(user!));
  });

  const REPO_DOCS = `${DOCS}/repos/repos`;
  route('GET', '/repos/:owner/:repo', { docs: `${REPO_DOCS}#get-a-repository` }, ({ ctx, repo, user }) => {
    sendGithubJson(ctx.res, 200, json.repo(repo, user?.login ?? null));
  });

  route(
    'POST',
    '/user/repos',
    { docs: `${REPO_DOCS}#create-a-repository-for-the-authenticated-user`, needs: [['administration', 'write']] },
    async ({ ctx, user, json: body }) => {
      const b = await body();
      if (b.name === undefined) throw missingField('name');
      if (typeof b.name !== 'string') throw invalidField('name', b.name, 'a string');
      for (const field of ['description', 'homepage'] as const)
        if (b[field] !== undefined && b[field] !== null && typeof b[field] !== 'string') throw invalidField(field, b[field], 'a string');
      const failed = (message: string) =>
        new GithubError(422, 'Repository creation failed.', { errors: [{ resource: 'Repository', code: 'custom', field: 'name', message }] });
      const name = normalizeRepoName(b.name);
      if (!name || name === '.' || name === '..') throw failed('name is invalid');
      if (name.length > 100) throw failed('name is too long (maximum is 100 characters)');
      if (state.repoByName(user!.login, name)) throw failed('name already exists on this account');
      const repo = state.createRepo(user!, {
        name,
        description: typeof b.description === 'string' ? b.description : null,
        homepage: typeof b.homepage === 'string' ? b.homepage : null,
        private: b.private === true,
      });
      if (b.auto_init === true) {
        // A README.md in one commit on the default branch, as "Add a README file" does.
        const readme = Buffer.from(`# ${name}\n${repo.description ? `${repo.description}\n` : ''}`);
        const blob = state.putBlob(repo, readme);
        const tree = state.putTree(repo, [{ name: 'README.md', mode: '100644', type: 'blob', sha: blob }]);
        const who = identity(user!, state.now);
        const commit = state.putCommit(repo, { tree, parents: [], author: who, committer: who, message: 'Initial commit' });
        state.setRef(repo, `refs/heads/${repo.defaultBranch}`, commit, user!.login);
      }
      sendGithubJson(ctx.res, 201, json.repo(repo, user!.login), { location: json.repoApi(repo) });
    },
  );

  route('DELETE', '/repos/:owner/:repo', { docs: `${REPO_DOCS}#delete-a-repository`, needs: [['administration', 'write']] }, ({ ctx, repo }) => {
    state.deleteRepo(repo);
    sendNoContent(ctx.res);
  });

  registerGitRoutes(route, deps);
  registerPagesRoutes(route, deps);

  return {
    name: 'github',
    apis: [
      {
        target: 'github',
        prefix: '/github',
        router,
        sendError: (res, kind) => sendGithubError(res, frameworkError(kind)),
        sendFault: (res, fault) => sendGithubError(res, faultError(fault)),
      },
    ],
    serveSite: (hostname, req, res) => serveGithubSite(deps, hostname, req, res),
    stats: () => state.stats(),
    reset: () => {
      state.reset();
      auth.reset();
    },
    snapshot: () => state.snapshot(),
    restore: (saved, readBlob) => state.restoreFrom(saved, readBlob),
  };
};

async function readJson(ctx: RequestContext, limit = 1 << 20): Promise<Record<string, unknown>> {
  const text = (await ctx.body(limit)).toString('utf8');
  if (!text.trim()) return {};
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new GithubError(400, 'Problems parsing JSON');
}
