// Serving a Worker's static assets at {script}.{subdomain}.workers.localhost, the way Workers Static
// Assets does: _redirects first, then the asset with html_handling, then not_found_handling, with
// _headers rules on what is served and the Content-Type given at upload.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sitePath } from '../http';
import type { EmulatorServices } from '../platform';
import { findRedirect, headersFor, parseHeaders, parseRedirects } from '../routing-rules';
import type { CloudflareState, StoredAsset, Version } from './state';

interface ServeArgs {
  state: CloudflareState;
  services: EmulatorServices;
  hostname: string;
  req: IncomingMessage;
  res: ServerResponse;
}

type Resolution = { kind: 'asset'; path: string; status: number } | { kind: 'redirect'; location: string } | { kind: 'none' };

export function serveWorkerSite({ state, services, hostname, req, res }: ServeArgs): boolean {
  const suffix = `.workers.${services.config.siteDomain}`;
  if (!hostname.endsWith(suffix)) return false;
  const labels = hostname.slice(0, -suffix.length).split('.');
  if (labels.length !== 2) return notFound(res);
  const [scriptName, subdomain] = labels as [string, string];
  const account = services.config.cloudflare.accounts.find((a) => a.subdomain === subdomain);
  const script = account && state.script(account.id, scriptName);
  const version = script?.subdomainEnabled ? state.liveVersion(script) : undefined;
  if (!version || !account) return notFound(res);

  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    res.end();
    return true;
  }
  const { path, search } = sitePath(req);

  const redirects = parseRedirects(version.config._redirects ?? '');
  const redirect = findRedirect(redirects, path);
  if (redirect && redirect.status !== 200) {
    const location = redirect.to.includes('?') || !search ? redirect.to : `${redirect.to}${search}`;
    res.writeHead(redirect.status, { location });
    res.end();
    return true;
  }
  const lookupPath = redirect ? redirect.to.split('?')[0]! : path;

  const resolution = resolve(version, lookupPath);
  if (resolution.kind === 'redirect') {
    res.writeHead(307, { location: resolution.location + search });
    res.end();
    return true;
  }
  const assets = state.assetsOf(account.id);
  if (resolution.kind === 'asset') {
    const hash = version.manifest[resolution.path]!;
    return sendAsset(req, res, version, path, hash, assets.get(hash)!, resolution.status);
  }
  res.writeHead(404);
  res.end();
  return true;
}

function resolve(version: Version, path: string): Resolution {
  const has = (p: string) => version.manifest[p] !== undefined;
  const mode = version.config.html_handling ?? 'auto-trailing-slash';
  const found = mode === 'none' ? (has(path) ? path : undefined) : undefined;
  if (found) return { kind: 'asset', path: found, status: 200 };

  if (mode !== 'none') {
    const asset = (p: string): Resolution => ({ kind: 'asset', path: p, status: 200 });
    const go = (p: string): Resolution => ({ kind: 'redirect', location: encodePath(p) });
    const dropSlash = mode === 'drop-trailing-slash';
    const forceSlash = mode === 'force-trailing-slash';
    if (path.endsWith('/index.html')) {
      const dir = path.slice(0, -'index.html'.length);
      if (has(path)) return dropSlash && dir !== '/' ? go(dir.slice(0, -1)) : go(dir);
    } else if (path.endsWith('/index')) {
      const dir = path.slice(0, -'index'.length);
      if (has(`${dir}index.html`)) return dropSlash && dir !== '/' ? go(dir.slice(0, -1)) : go(dir);
    } else if (path.endsWith('.html') && has(path)) {
      const bare = path.slice(0, -'.html'.length);
      return forceSlash ? go(`${bare}/`) : go(bare);
    } else if (path.endsWith('/')) {
      if (has(`${path}index.html`)) return dropSlash && path !== '/' ? go(path.slice(0, -1)) : asset(`${path}index.html`);
      const bare = path.slice(0, -1);
      if (bare && has(`${bare}.html`)) return forceSlash ? asset(`${bare}.html`) : go(bare);
    } else {
      if (has(path)) return asset(path);
      if (has(`${path}.html`)) return forceSlash ? go(`${path}/`) : asset(`${path}.html`);
      if (has(`${path}/index.html`)) return dropSlash ? asset(`${path}/index.html`) : go(`${path}/`);
    }
  }

  switch (version.config.not_found_handling ?? 'none') {
    case 'single-page-application':
      return has('/index.html') ? { kind: 'asset', path: '/index.html', status: 200 } : { kind: 'none' };
    case '404-page': {
      for (let dir = path.slice(0, path.lastIndexOf('/') + 1); ; dir = dir.slice(0, dir.slice(0, -1).lastIndexOf('/') + 1)) {
        if (has(`${dir}404.html`)) return { kind: 'asset', path: `${dir}404.html`, status: 404 };
        if (dir === '/' || dir === '') return { kind: 'none' };
      }
    }
    default:
      return { kind: 'none' };
  }
}

function sendAsset(req: IncomingMessage, res: ServerResponse, version: Version, requestPath: string, hash: string, asset: StoredAsset, status: number): true {
  const headers: Record<string, string> = {
    etag: `"${hash}"`,
    'content-length': String(asset.bytes.length),
  };
  if (asset.contentType !== 'application/null') headers['content-type'] = asset.contentType;
  const rules = headersFor(parseHeaders(version.config._headers ?? ''), requestPath);
  for (const name of rules.detach) delete headers[name];
  for (const [name, value] of rules.set) headers[name] = value;
  if (status === 200 && req.headers['if-none-match'] === headers.etag) {
    res.writeHead(304, { etag: headers.etag });
    res.end();
    return true;
  }
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : asset.bytes);
  return true;
}

function notFound(res: ServerResponse): true {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('There is nothing here yet.');
  return true;
}

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');
