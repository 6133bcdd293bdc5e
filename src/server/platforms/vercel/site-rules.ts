// A site's `_redirects` and `_headers` (the format AI site builders write) as
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

/** Vercel takes at most 2,048 routes per deployment (redirects, rewrites and headers together). */
const MAX_RULES = 1000;
/** Characters with a meaning in Vercel's path patterns (path-to-regexp): such a line is left out, not guessed at. */
const PATTERN_SYNTAX = /[(){}[\]+?]/;
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
    if (PATTERN_SYNTAX.test(line.from) || (!/^https?:/.test(line.to) && PATTERN_SYNTAX.test(line.to))) {
      rules.skipped.push(`${line.from} ${line.to} ${line.status}`);
      continue;
    }
    const source = vercelPattern(line.from);
    const destination = vercelDestination(line.to);
    if (line.status === 200) rules.rewrites.push({ source, destination });
    else if (REDIRECT_STATUSES.has(line.status)) rules.redirects.push({ source, destination, statusCode: line.status });
    else rules.skipped.push(`${line.from} ${line.to} ${line.status}`);
  }
  for (const b of headers.blocks) {
    if (PATTERN_SYNTAX.test(b.path)) rules.skipped.push(b.path);
    else rules.headers.push({ source: vercelPattern(b.path), headers: b.headers });
  }
  rules.skipped.push(...headers.skipped);

  // The budget is shared, in the order Vercel applies them: redirects, rewrites, then headers.
  let room = MAX_RULES;
  for (const key of ['redirects', 'rewrites', 'headers'] as const) {
    if (rules[key].length > room) {
      rules.skipped.push(`${rules[key].length - room} ${key} over the limit of ${MAX_RULES} rules`);
      rules[key] = rules[key].slice(0, room) as never;
    }
    room -= rules[key].length;
  }
  return rules;
}
