// The Pages sites of the local GitHub, served like github.io serves them:
// - http://{owner}.github.{siteDomain}:{port}/{repo}/… is the project site of {repo}; a repository
//   named {owner}.github.io is the user site, at the root; a site with a custom domain (cname) is
//   served at that host (it must end in .{siteDomain} to reach the local cloud), and its github host
//   redirects there.
// - what is served is the tree published by the site's last successful build (pages.ts): a folder
//   serves its index.html, `/dir` redirects (301) to `/dir/` when dir/index.html exists, `/about`
//   serves about.html, anything else the site's own 404.html with status 404 (GitHub's page when it
//   has none). Content types by extension.
// - without a .nojekyll file at the source root, Jekyll builds the site and leaves out files and
//   folders whose names start with "_", "." or "#" or end with "~" ("About GitHub Pages and Jekyll";
//   .nojekyll: https://github.blog/2009-12-29-bypassing-jekyll-on-github-pages/): they are 404s.
//   `_redirects` and `_headers` mean nothing to GitHub Pages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { servedContentType } from '@/lib/site-files';
import { sitePath } from '../http';
import type { GithubDeps } from './common';
import { githubHeaders } from './errors';
import type { Repo } from './state';

const GITHUB_404 =
  '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Site not found &middot; GitHub Pages</title></head>' +
  "<body><h1>404</h1><p><strong>There isn't a GitHub Pages site here.</strong></p></body></html>\n";

/** Published trees as path → blob id, by tree id (a tree never changes). */
const fileMaps = new Map<string, Map<string, string>>();

const jekyllHidden = (path: string) => path.split('/').some((seg) => /^[_.#]/.test(seg) || seg.endsWith('~'));

export function serveGithubSite(deps: GithubDeps, hostname: string, req: IncomingMessage, res: ServerResponse): boolean {
  const { services, state } = deps;
  const { siteDomain, port } = services.config;
  const host = hostname.toLowerCase();
  const suffix = `.github.${siteDomain}`.toLowerCase();
  const { path, search } = sitePath(req);
  const withPages = (r: Repo) => Boolean(deps.pages.settle(r));

  if (!host.endsWith(suffix)) {
    const byDomain = [...state.repos.values()].find((r) => r.pages?.cname === host && withPages(r));
    if (!byDomain) return false;
    serveRepo(deps, byDomain, '', path, search, `http://${hostname}:${port}`, req, res);
    return true;
  }
  const owner = host.slice(0, -suffix.length);
  const repos = owner.includes('.') ? [] : state.reposOf(owner).filter(withPages);
  const first = path.split('/')[1] ?? '';
  const project = first ? repos.find((r) => r.name.toLowerCase() === first.toLowerCase() && r.name.toLowerCase() !== `${owner}.github.io`) : undefined;
  const repo = project ?? repos.find((r) => r.name.toLowerCase() === `${owner}.github.io`);
  if (!repo) {
    sendPage(res, req, 404, GITHUB_404);
    return true;
  }
  const prefix = project ? `/${first}` : '';
  const rest = path.slice(prefix.length);
  if (repo.pages!.cname) redirect(res, `http://${repo.pages!.cname}:${port}${rest || '/'}${search}`);
  else if (rest === '') redirect(res, `http://${hostname}:${port}${prefix}/${search}`);
  else serveRepo(deps, repo, prefix, rest, search, `http://${hostname}:${port}`, req, res);
  return true;
}

function serveRepo(deps: GithubDeps, repo: Repo, prefix: string, path: string, search: string, origin: string, req: IncomingMessage, res: ServerResponse) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    return void res.end('Method Not Allowed\n');
  }
  const published = repo.pages?.published;
  if (!published) return sendPage(res, req, 404, GITHUB_404);
  const files = fileMap(deps, repo, published.tree);
  const jekyll = !files.has('.nojekyll');
  const has = (key: string) => files.has(key) && !(jekyll && jekyllHidden(key));
  const send = (key: string, status: number) => {
    const bytes = deps.state.blobs.get(repo.id)?.get(files.get(key)!) ?? Buffer.alloc(0);
    res.writeHead(status, {
      ...githubHeaders(),
      server: 'GitHub.com',
      'content-type': servedContentType(key),
      'content-length': String(bytes.length),
      'last-modified': new Date(published.at).toUTCString(),
      etag: `"${files.get(key)!.slice(0, 16)}"`,
      'cache-control': 'max-age=600',
      'access-control-allow-origin': '*',
    });
    res.end(bytes); // node leaves the body out for HEAD
  };

  const key = path.replace(/^\/+/, '');
  if (key.split('/').includes('..')) return has('404.html') ? send('404.html', 404) : sendPage(res, req, 404, GITHUB_404);
  if (key === '' || key.endsWith('/')) {
    if (has(`${key}index.html`)) return send(`${key}index.html`, 200);
  } else if (has(key)) return send(key, 200);
  else if (has(`${key}.html`)) return send(`${key}.html`, 200);
  else if (has(`${key}/index.html`)) return redirect(res, `${origin}${prefix}/${key}/${search}`);
  if (has('404.html')) return send('404.html', 404);
  sendPage(res, req, 404, GITHUB_404);
}

function fileMap(deps: GithubDeps, repo: Repo, tree: string): Map<string, string> {
  let map = fileMaps.get(tree);
  if (!map) {
    map = new Map(
      deps.state
        .flatten(repo, tree)
        .filter((f) => f.entry.type === 'blob')
        .map((f) => [f.path, f.entry.sha]),
    );
    if (fileMaps.size > 50) fileMaps.delete(fileMaps.keys().next().value!);
    fileMaps.set(tree, map);
  }
  return map;
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(301, { location, server: 'GitHub.com', 'content-length': '0' });
  res.end();
}

function sendPage(res: ServerResponse, req: IncomingMessage, status: number, html: string): void {
  res.writeHead(status, { server: 'GitHub.com', 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(html)) });
  res.end(req.method === 'HEAD' ? undefined : html);
}
