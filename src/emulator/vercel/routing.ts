// Vercel's routing keys: `source` patterns of rewrites/redirects/headers (path-to-regexp: `/(.*)`,
// `/blog/:slug`, `/:path*`) and the regex `src` of legacy `routes`, with `$1` and `:name`
// substituted into destinations.
import { pathToRegexp, type Key } from 'path-to-regexp';

export interface Match {
  groups: string[];
  named: Record<string, string>;
}

/**
 * A `source` pattern compiled as Vercel compiles it: path-to-regexp 6 with `strict`, `sensitive` and
 * `/` as the delimiter (vercel/vercel packages/routing-utils/src/superstatic.ts, `sourceToRegex`).
 * Vercel vendors 6.1.0; the emulator uses 6.3.0, the release with the ReDoS fix (GHSA-9wv6-86v2-598j),
 * which compiles differently only for two parameters inside one path segment (`/:a-:b`).
 */
export function matchSource(source: string, path: string): Match | null {
  const keys: Key[] = [];
  const m = pathToRegexp(source, keys, { strict: true, sensitive: true, delimiter: '/' }).exec(path);
  if (!m) return null;
  const groups = m.slice(1).map((g) => g ?? '');
  const named: Record<string, string> = {};
  keys.forEach((key, i) => {
    if (typeof key.name === 'string') named[key.name] = groups[i] ?? '';
  });
  return { groups, named };
}

/** A legacy `routes` entry's `src` is a regex (anchored by Vercel). */
export function matchSrc(src: string, path: string): Match | null {
  const anchored = `^${src.replace(/^\^/, '').replace(/\$$/, '')}$`;
  return toMatch(new RegExp(anchored).exec(path));
}

function toMatch(m: RegExpExecArray | null): Match | null {
  if (!m) return null;
  return { groups: m.slice(1).map((g) => g ?? ''), named: { ...(m.groups ?? {}) } };
}

export function substitute(destination: string, match: Match): string {
  return destination
    .replace(/\$(\d+)/g, (_, n: string) => match.groups[Number(n) - 1] ?? '')
    .replace(/:([A-Za-z_][A-Za-z0-9_]*)\*?/g, (all, name: string) => match.named[name] ?? all);
}
