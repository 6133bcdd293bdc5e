// A site's `_redirects` and `_headers` (the Netlify / Cloudflare format AI site builders write) as
// Vercel's deployment keys `redirects`, `rewrites` and `headers`, so the same site behaves the same on
// every platform. Vercel itself gives those two files no meaning.

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

const valid = (path: string) => path.startsWith('/') && !/\s/.test(path);

export function vercelSiteRules(redirectsText: string | undefined, headersText: string | undefined): VercelSiteRules {
  const rules: VercelSiteRules = { redirects: [], rewrites: [], headers: [], skipped: [] };

  for (const raw of (redirectsText ?? '').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [from, to, code = '301'] = line.split(/\s+/);
    const status = Number(code.replace(/!$/, ''));
    if (!from || !to || !valid(from) || (!valid(to) && !/^https?:\/\//.test(to))) {
      rules.skipped.push(line);
      continue;
    }
    const source = vercelPattern(from);
    const destination = vercelDestination(to);
    if (status === 200) rules.rewrites.push({ source, destination });
    else if (REDIRECT_STATUSES.has(status)) rules.redirects.push({ source, destination, statusCode: status });
    else rules.skipped.push(line);
  }

  let current: VercelHeaderRule | undefined;
  for (const raw of (headersText ?? '').split(/\r?\n/)) {
    if (!raw.trim() || raw.trim().startsWith('#')) continue;
    if (!/^\s/.test(raw)) {
      const path = raw.trim();
      current = valid(path) ? { source: vercelPattern(path), headers: [] } : undefined;
      if (current) rules.headers.push(current);
      else rules.skipped.push(path);
      continue;
    }
    const m = /^\s+([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(raw);
    // `! Name` (remove a header) has no Vercel equivalent on static files.
    if (!current || !m) rules.skipped.push(raw.trim());
    else current.headers.push({ key: m[1]!, value: m[2]!.trim() });
  }
  rules.headers = rules.headers.filter((h) => h.headers.length > 0);

  for (const key of ['redirects', 'rewrites', 'headers'] as const) {
    if (rules[key].length > MAX_RULES) {
      rules.skipped.push(`${rules[key].length - MAX_RULES} ${key} over the first ${MAX_RULES}`);
      rules[key] = rules[key].slice(0, MAX_RULES) as never;
    }
  }
  return rules;
}
