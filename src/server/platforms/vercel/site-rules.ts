// A site's `_redirects` and `_headers` (the Netlify / Cloudflare format AI site builders write) as
// Vercel's deployment keys `redirects`, `rewrites` and `headers`, so the same site behaves the same on
// every platform. Vercel itself gives those two files no meaning.
import { parseHeadersFile, parseRedirectsFile } from '../routing-files';

export interface VercelRedirect {
  source: string;
  destination: string;
  statusCode: number;
}
export interface VercelRewrite {
  source: string;
  destination: string;
}
export interface VercelHeaderRule {
  source: string;
  headers: { key: string; value: string }[];
}
export interface VercelSiteRules {
  redirects: VercelRedirect[];
  rewrites: VercelRewrite[];
  headers: VercelHeaderRule[];
  /** Lines that have no Vercel equivalent, for the deployment log. */
  skipped: string[];
}

/** Vercel takes at most 2,048 routes per deployment; far more than a hand-written file holds. */
const MAX_RULES = 1000;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** `/blog/*` → `/blog/:splat*`; `:name` placeholders are the same in both formats. */
function vercelPattern(path: string): string {
  return path.replace(/\*$/, ':splat*');
}

/** `/new/:splat` → `/new/:splat*` (Vercel names a multi-segment match with its `*`). */
function vercelDestination(to: string): string {
  return to.replace(/:splat\b(?!\*)/g, ':splat*');
}

export function vercelSiteRules(redirectsText: string | undefined, headersText: string | undefined): VercelSiteRules {
  const redirects = parseRedirectsFile(redirectsText);
  const headers = parseHeadersFile(headersText);
  const rules: VercelSiteRules = { redirects: [], rewrites: [], headers: [], skipped: [...redirects.skipped] };
  for (const line of redirects.lines) {
    const source = vercelPattern(line.from);
    const destination = vercelDestination(line.to);
    if (line.status === 200) rules.rewrites.push({ source, destination });
    else if (REDIRECT_STATUSES.has(line.status)) rules.redirects.push({ source, destination, statusCode: line.status });
    else rules.skipped.push(`${line.from} ${line.to} ${line.status}`);
  }
  rules.headers = headers.blocks.map((b) => ({ source: vercelPattern(b.path), headers: b.headers }));
  rules.skipped.push(...headers.skipped);

  for (const key of ['redirects', 'rewrites', 'headers'] as const) {
    if (rules[key].length > MAX_RULES) {
      rules.skipped.push(`${rules[key].length - MAX_RULES} ${key} over the first ${MAX_RULES}`);
      rules[key] = rules[key].slice(0, MAX_RULES) as never;
    }
  }
  return rules;
}
