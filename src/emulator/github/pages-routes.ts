// The Pages API (https://docs.github.com/rest/pages/pages). Creating, updating and deleting a site
// take Pages write *and* Administration write for a fine-grained token; reading and requesting a build
// only Pages (github/docs src/github-apps/data/fpt-2022-11-28/fine-grained-pat-permissions.json).
// POST answers 201 (409 "GitHub Pages is already enabled."), PUT and DELETE 204 (404 when Pages is
// not enabled), POST /pages/builds 201 {url: …/pages/builds/latest, status: "queued"}.
import { DOCS, type GithubDeps, type Register } from './common';
import type { Need } from './auth';
import { conflict, GithubError, invalidField, missingField, notFound, sendGithubJson, sendNoContent, unprocessable } from './errors';
import type { PagesSite, Repo } from './state';

const D = `${DOCS}/pages/pages`;
const P = '/repos/:owner/:repo/pages';
const READ: Need[] = [['pages', 'read']];
const ADMIN: Need[] = [
  ['pages', 'write'],
  ['administration', 'write'],
];

/** `source` as an object {branch, path}, or (PUT only) the older strings "gh-pages", "master", "master /docs". */
function parseSource(v: unknown, strings: boolean): PagesSite['source'] {
  if (strings && typeof v === 'string') {
    const [branch, path] = v.split(' ');
    if (!['gh-pages', 'master'].includes(branch!) || (path !== undefined && path !== '/docs'))
      throw invalidField('source', v, 'one of ["gh-pages", "master", "master /docs"]');
    return { branch: branch!, path: path === '/docs' ? '/docs' : '/' };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidField('source', v, 'an object');
  const { branch, path = '/' } = v as Record<string, unknown>;
  if (branch === undefined) throw missingField('branch');
  if (typeof branch !== 'string') throw invalidField('source/branch', branch, 'a string');
  if (path !== '/' && path !== '/docs') throw invalidField('source/path', path, 'one of ["/", "/docs"]');
  return { branch, path };
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;

export function registerPagesRoutes(route: Register, { services, pages, json }: GithubDeps): void {
  /** The repository's Pages site, its due builds settled; 404 when Pages is not enabled. */
  function siteOf(repo: Repo): PagesSite {
    const site = pages.settle(repo);
    if (!site) throw notFound();
    return site;
  }

  function checkPublishable(repo: Repo, source: PagesSite['source'], buildType: PagesSite['buildType']) {
    const owner = services.config.github.users.find((u) => u.login === repo.ownerLogin);
    if (repo.private && (owner?.plan ?? 'free') === 'free') throw unprocessable('Your current plan does not support GitHub Pages for this repository.');
    if (buildType === 'legacy' && !repo.refs[`refs/heads/${source.branch}`])
      throw unprocessable(`The ${source.branch} branch must exist before GitHub Pages can be built.`);
  }

  route('GET', P, { docs: `${D}#get-a-apiname-pages-site`, needs: READ }, ({ ctx, repo }) => {
    siteOf(repo);
    sendGithubJson(ctx.res, 200, json.page(repo));
  });

  route('POST', P, { docs: `${D}#create-a-apiname-pages-site`, needs: ADMIN }, async ({ ctx, repo, user, json: body }) => {
    const b = await body();
    if (repo.pages) throw conflict('GitHub Pages is already enabled.');
    const buildType = b.build_type ?? 'legacy';
    if (buildType !== 'legacy' && buildType !== 'workflow') throw invalidField('build_type', buildType, 'one of ["legacy", "workflow"]');
    if (buildType === 'legacy' && b.source === undefined) throw missingField('source');
    const source = b.source === undefined ? { branch: repo.defaultBranch, path: '/' as const } : parseSource(b.source, false);
    checkPublishable(repo, source, buildType);
    pages.enable(repo, { buildType, source }, user!.login);
    sendGithubJson(ctx.res, 201, json.page(repo), { location: `${json.repoApi(repo)}/pages` });
  });

  route('PUT', P, { docs: `${D}#update-information-about-a-apiname-pages-site`, needs: ADMIN }, async ({ ctx, repo, user, json: body }) => {
    const b = await body();
    const site = siteOf(repo);
    const buildType = b.build_type ?? site.buildType;
    if (buildType !== 'legacy' && buildType !== 'workflow') throw invalidField('build_type', buildType, 'one of ["legacy", "workflow"]');
    const source = b.source === undefined ? site.source : parseSource(b.source, true);
    if (b.cname !== undefined && b.cname !== null && (typeof b.cname !== 'string' || !HOSTNAME.test(b.cname)))
      throw new GithubError(422, 'Validation Failed', { errors: [{ resource: 'Page', code: 'invalid', field: 'cname' }] });
    if (b.https_enforced !== undefined && typeof b.https_enforced !== 'boolean') throw invalidField('https_enforced', b.https_enforced, 'a boolean');
    checkPublishable(repo, source, buildType);
    const rebuild = buildType === 'legacy' && (buildType !== site.buildType || source.branch !== site.source.branch || source.path !== site.source.path);
    Object.assign(site, { buildType, source });
    if (b.cname !== undefined) site.cname = typeof b.cname === 'string' && b.cname ? b.cname.toLowerCase() : null;
    if (typeof b.https_enforced === 'boolean') site.httpsEnforced = b.https_enforced;
    if (rebuild) pages.request(repo, user!.login);
    sendNoContent(ctx.res);
  });

  route('DELETE', P, { docs: `${D}#delete-a-apiname-pages-site`, needs: ADMIN }, ({ ctx, repo }) => {
    siteOf(repo);
    delete repo.pages;
    sendNoContent(ctx.res);
  });

  // ---- builds (`latest` before `{build_id}`: the first matching route wins) ----
  route('GET', `${P}/builds`, { docs: `${D}#list-apiname-pages-builds`, needs: READ }, ({ ctx, repo }) => {
    const site = siteOf(repo);
    const q = ctx.url.searchParams;
    const perPage = Math.min(100, Math.max(1, Number(q.get('per_page')) || 30));
    const page = Math.max(1, Number(q.get('page')) || 1);
    const newest = [...site.builds].reverse().slice((page - 1) * perPage, page * perPage);
    sendGithubJson(
      ctx.res,
      200,
      newest.map((b) => json.build(repo, b)),
    );
  });

  route('POST', `${P}/builds`, { docs: `${D}#request-a-apiname-pages-build`, needs: [['pages', 'write']] }, ({ ctx, repo, user }) => {
    siteOf(repo);
    pages.request(repo, user!.login);
    sendGithubJson(ctx.res, 201, { url: `${json.repoApi(repo)}/pages/builds/latest`, status: 'queued' });
  });

  route('GET', `${P}/builds/latest`, { docs: `${D}#get-latest-pages-build`, needs: READ }, ({ ctx, repo }) => {
    const latest = pages.latest(siteOf(repo));
    if (!latest) throw notFound();
    sendGithubJson(ctx.res, 200, json.build(repo, latest));
  });

  route('GET', `${P}/builds/:build_id`, { docs: `${D}#get-apiname-pages-build`, needs: READ }, ({ ctx, repo }) => {
    const build = siteOf(repo).builds.find((b) => String(b.id) === ctx.params.build_id);
    if (!build) throw notFound();
    sendGithubJson(ctx.res, 200, json.build(repo, build));
  });
}
