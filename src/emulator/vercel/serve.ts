// The deployed sites: `{alias}.vercel.{siteDomain}` serves a project's production deployment and
// `{project}-{random}.vercel.{siteDomain}` one deployment. Order as on Vercel for the vercel.json keys
// we support: redirects, then the filesystem (index.html of folders, cleanUrls), then rewrites, then
// 404.html with status 404; `headers` rules on what is served. `_redirects`/`_headers` mean nothing
// here: they are plain files.
import type { IncomingMessage, ServerResponse } from 'node:http';
import mime from 'mime';
import { matchSource, matchSrc, substitute } from './routing';
import type { Deployment, VercelState } from './state';

/** Which deployment a host names; null when the host is not a Vercel one at all. */
export function deploymentForHost(state: VercelState, hostname: string, siteDomain: string, now: number): Deployment | undefined | null {
  const suffix = `.vercel.${siteDomain}`.toLowerCase();
  const host = hostname.toLowerCase();
  if (!host.endsWith(suffix)) return null;
  const label = host.slice(0, -suffix.length);
  if (label.includes('.')) return undefined;
  const project = [...state.projects.values()].find((p) => p.aliasLabel === label);
  if (project) {
    state.settle(project, now);
    return project.productionDeploymentId ? state.deployments.get(project.productionDeploymentId) : undefined;
  }
  const d = state.byHostLabel(label);
  return d && state.readyState(d, now) === 'READY' ? d : undefined;
}

/**
 * A project's scope-suffixed alias `{project}-{scope}`: behind Deployment Protection (Standard
 * Protection covers every URL but the production domains: https://vercel.com/docs/deployment-protection).
 */
export function protectedHost(state: VercelState, hostname: string, siteDomain: string): boolean {
  const suffix = `.vercel.${siteDomain}`.toLowerCase();
  const host = hostname.toLowerCase();
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, -suffix.length);
  const projects = [...state.projects.values()];
  return !projects.some((p) => p.aliasLabel === label) && projects.some((p) => p.scopeLabel === label);
}

/** What a visitor without a Vercel login gets there: 401 and the log-in page. */
export function serveProtected(res: ServerResponse): true {
  const html =
    '<!doctype html><title>Authentication Required</title><h1>Authentication Required</h1><p>This deployment is protected: log in to Vercel to see it.</p>\n';
  res.writeHead(401, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(html)),
    'x-robots-tag': 'noindex',
    'set-cookie': '_vercel_sso_nonce=local; Path=/; HttpOnly',
  });
  res.end(html);
  return true;
}

/** Vercel names text types with their charset; unknown extensions are octet streams. */
export function contentType(path: string): string {
  const type = mime.getType(path) ?? 'application/octet-stream';
  return type.startsWith('text/') || type === 'application/json' || type === 'application/javascript' ? `${type}; charset=utf-8` : type;
}

type Found = { path: string; sha: string };

export function serveDeployment(state: VercelState, d: Deployment | undefined, req: IncomingMessage, res: ServerResponse): true {
  if (!d) return plain(res, 404, 'The deployment could not be found on Vercel.\n\nDEPLOYMENT_NOT_FOUND\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method Not Allowed\n', { allow: 'GET, HEAD' });
  const files = state.filesOf(d.ownerId);
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const search = q < 0 ? '' : rawUrl.slice(q);
  let path: string;
  try {
    path = decodeURIComponent(q < 0 ? rawUrl : rawUrl.slice(0, q));
  } catch {
    return plain(res, 400, 'Bad Request\n');
  }
  const extraHeaders = headersFor(d, path);
  const routing = d.routing;

  for (const rule of routing.redirects ?? []) {
    const m = matchSource(rule.source, path);
    if (!m) continue;
    const status = rule.statusCode ?? (rule.permanent === false ? 307 : 308);
    return redirect(res, status, substitute(rule.destination, m), extraHeaders);
  }
  if (routing.cleanUrls) {
    const clean = path.endsWith('/index.html') ? path.slice(0, -'index.html'.length) : path.endsWith('.html') ? path.slice(0, -'.html'.length) : undefined;
    if (clean !== undefined && lookup(d, clean, true)) return redirect(res, 308, clean + search, extraHeaders);
  }

  const { before, after } = splitRoutes(d);
  for (const route of before) {
    const m = matchSrc(route.src, path);
    if (!m) continue;
    const location = route.headers?.Location ?? route.headers?.location;
    if (route.status && route.status >= 300 && route.status < 400 && location) return redirect(res, route.status, substitute(location, m), extraHeaders);
    if (route.dest) path = substitute(route.dest, m).split('?')[0]!;
  }

  let found = lookup(d, path, routing.cleanUrls ?? false);
  if (!found) {
    for (const route of after) {
      const m = matchSrc(route.src, path);
      if (!m || !route.dest) continue;
      found = lookup(d, substitute(route.dest, m).split('?')[0]!, false);
      if (found) break;
    }
  }
  if (!found) {
    for (const rule of routing.rewrites ?? []) {
      const m = matchSource(rule.source, path);
      if (!m) continue;
      found = lookup(d, substitute(rule.destination, m).split('?')[0]!, routing.cleanUrls ?? false);
      break;
    }
  }
  if (found) return send(req, res, 200, found, files.get(found.sha)!, extraHeaders);
  const page = lookup(d, '/404.html', false);
  if (page) return send(req, res, 404, page, files.get(page.sha)!, extraHeaders);
  return plain(res, 404, 'The page could not be found.\n\nNOT_FOUND\n', extraHeaders);
}

/** A file for a URL path: the path itself, a folder's index.html, or (cleanUrls) `path.html`. */
function lookup(d: Deployment, urlPath: string, cleanUrls: boolean): Found | undefined {
  const key = urlPath.replace(/^\/+/, '');
  if (key.split('/').includes('..')) return undefined;
  const candidates = key === '' || key.endsWith('/') ? [`${key}index.html`] : [key, `${key}/index.html`, ...(cleanUrls ? [`${key}.html`] : [])];
  for (const c of candidates) if (d.files[c]) return { path: c, sha: d.files[c]! };
  return undefined;
}

function splitRoutes(d: Deployment) {
  const before: { src: string; dest?: string; status?: number; headers?: Record<string, string> }[] = [];
  const after: typeof before = [];
  let phase = before;
  for (const route of d.routing.routes ?? []) {
    if ('handle' in route) {
      if (route.handle === 'filesystem') phase = after;
      continue;
    }
    phase.push(route);
  }
  return { before, after };
}

function headersFor(d: Deployment, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rule of d.routing.headers ?? []) if (matchSource(rule.source, path)) for (const h of rule.headers) out[h.key.toLowerCase()] = h.value;
  return out;
}

function send(req: IncomingMessage, res: ServerResponse, status: number, file: Found, bytes: Buffer, extra: Record<string, string>): true {
  const etag = `"${file.sha}"`;
  if (status === 200 && req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag });
    res.end();
    return true;
  }
  res.writeHead(status, {
    'content-type': contentType(file.path),
    'content-length': String(bytes.length),
    etag,
    'x-vercel-cache': 'HIT',
    ...extra,
  });
  res.end(bytes); // node leaves the body out for HEAD
  return true;
}

function redirect(res: ServerResponse, status: number, location: string, extra: Record<string, string>): true {
  res.writeHead(status, { location, 'content-length': '0', ...extra });
  res.end();
  return true;
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): true {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...(status === 404 ? { 'x-vercel-error': 'NOT_FOUND' } : {}),
    ...extra,
  });
  res.end(text);
  return true;
}
