// The deployed sites: {name}.netlify.{siteDomain} serves the site's published deploy and
// {deployId}--{name}.netlify.{siteDomain} one finished deploy (its permalink). Like Netlify: a file
// that exists wins over a rule unless the rule is forced (`200!`, "shadowing"); otherwise the first
// matching `_redirects` rule in file order applies (200 rewrites, 301/302/… redirects, 404 pages);
// pretty URLs (`/about` → about.html, folders → index.html); `_headers` on what is served; the site's
// 404.html with status 404 for the rest. `_redirects` and `_headers` themselves are not served.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { servedContentType } from '@/lib/site-files';
import { headersFor, matchPattern, parseHeaders } from '../routing-rules';
import { sendText, sitePath } from '../http';
import type { Deploy } from './state';

const CONFIG_FILES = new Set(['_redirects', '_headers']);

export interface NetlifyRedirect {
  from: string;
  to: string;
  status: number;
  force: boolean;
}

/** `from to [status][!]` lines in file order; query and condition columns are ignored. */
export function parseNetlifyRedirects(text: string): NetlifyRedirect[] {
  const rules: NetlifyRedirect[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const [from, to, ...rest] = line.split(/\s+/);
    if (!from || !to) continue;
    const code = rest.find((part) => /^\d{3}!?$/.test(part));
    const status = code ? Number(code.replace('!', '')) : 301;
    rules.push({ from, to, status, force: Boolean(code?.endsWith('!')) });
  }
  return rules;
}

/** Which site a host names: null when the host is not a Netlify one at all. */
export function parseSiteHost(hostname: string, siteDomain: string): { name: string; deployId?: string } | 'unknown' | null {
  const suffix = `.netlify.${siteDomain}`.toLowerCase();
  if (!hostname.endsWith(suffix)) return null;
  const label = hostname.slice(0, -suffix.length);
  if (!label || label.includes('.')) return 'unknown';
  const cut = label.indexOf('--');
  return cut > 0 ? { deployId: label.slice(0, cut), name: label.slice(cut + 2) } : { name: label };
}

type Found = { kind: 'file'; key: string } | { kind: 'slash'; location: string };

/** The file a path names, with Netlify's pretty URLs; keys have no leading slash. */
function findFile(files: Record<string, string>, path: string): Found | undefined {
  const has = (key: string) => files[key] !== undefined && !CONFIG_FILES.has(key);
  const key = path.replace(/^\/+/, '');
  if (key.split('/').includes('..')) return undefined;
  if (key === '' || key.endsWith('/')) return has(`${key}index.html`) ? { kind: 'file', key: `${key}index.html` } : undefined;
  if (has(key)) return { kind: 'file', key };
  if (has(`${key}.html`)) return { kind: 'file', key: `${key}.html` };
  if (has(`${key}/index.html`)) return { kind: 'slash', location: `${path}/` };
  return undefined;
}

export function serveDeploy(deploy: Deploy | undefined, bytesOf: (sha: string) => Buffer | undefined, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('Method Not Allowed\n');
    return;
  }
  const files = deploy?.files;
  if (!files) return sendText(res, 404, 'Not Found - Request ID: local');
  const text = (key: string) => (files[key] ? (bytesOf(files[key]!)?.toString('utf8') ?? '') : '');
  const { path, search } = sitePath(req);
  const headerRules = parseHeaders(text('_headers'));
  const send = (key: string, status: number) => {
    const bytes = bytesOf(files[key]!);
    if (!bytes) return sendText(res, 500, 'Internal Server Error');
    const headers: Record<string, string> = {
      'content-type': servedContentType(key),
      'content-length': String(bytes.length),
      etag: `"${files[key]}"`,
      'cache-control': 'public, max-age=0, must-revalidate',
    };
    const rules = headersFor(headerRules, path);
    for (const name of rules.detach) delete headers[name];
    for (const [name, value] of rules.set) headers[name] = value;
    res.writeHead(status, headers);
    res.end(bytes); // node leaves the body out for HEAD
  };
  const notFound = () => (files['404.html'] ? send('404.html', 404) : sendText(res, 404, 'Not Found - Request ID: local'));
  const serveFound = (found: Found, status = 200) => {
    if (found.kind === 'file') return send(found.key, status);
    res.writeHead(301, { location: found.location + search, 'content-length': '0' });
    res.end();
  };

  const found = findFile(files, path);
  for (const rule of parseNetlifyRedirects(text('_redirects'))) {
    // `/blog/*` also matches `/blog` itself.
    const captured = matchPattern(rule.from, path) ?? (rule.from.endsWith('/*') ? matchPattern(rule.from.slice(0, -2) || '/', path) : null);
    if (!captured) continue;
    if (found && !rule.force) break;
    const to = rule.to.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => captured[name] ?? whole);
    if (rule.status === 200 || rule.status === 404) {
      if (/^https?:/.test(to)) continue; // proxying to other hosts is not emulated
      const target = findFile(files, to.split('?')[0]!);
      if (!target) continue;
      return serveFound(target, rule.status);
    }
    res.writeHead(rule.status, { location: to, 'content-length': '0' });
    res.end();
    return;
  }
  if (found) return serveFound(found);
  notFound();
}
