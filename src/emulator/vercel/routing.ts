// Vercel's routing keys, minimally: `source` patterns of rewrites/redirects/headers (path-to-regexp
// style: `/(.*)`, `/blog/:slug`, `/:path*`) and the regex `src` of legacy `routes`, with `$1` and
// `:name` substituted into destinations.

export interface Match {
  groups: string[];
  named: Record<string, string>;
}

/** `/:path*` → `/(?<path>.*)`, `/:slug` → `/(?<slug>[^/]+)`; explicit `( … )` groups stay regexes. */
function sourceToRegex(source: string): RegExp {
  let out = '';
  for (let i = 0; i < source.length;) {
    const ch = source[i]!;
    if (ch === ':') {
      const m = /^:([A-Za-z_][A-Za-z0-9_]*)([*+?])?/.exec(source.slice(i));
      if (m) {
        const [all, name, mod] = m as unknown as [string, string, string | undefined];
        out += mod === '*' ? `(?<${name}>.*)` : mod === '+' ? `(?<${name}>.+)` : mod === '?' ? `(?<${name}>[^/]*)` : `(?<${name}>[^/]+)`;
        i += all.length;
        continue;
      }
    }
    if (ch === '(') {
      // Copy the group as a regex, up to its matching parenthesis.
      let depth = 0;
      let j = i;
      for (; j < source.length; j++) {
        if (source[j] === '(') depth++;
        else if (source[j] === ')' && --depth === 0) break;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    out += '.+?^${}|[]\\'.includes(ch) ? `\\${ch}` : ch === '*' ? '.*' : ch;
    i++;
  }
  return new RegExp(`^${out}$`);
}

export function matchSource(source: string, path: string): Match | null {
  return toMatch(sourceToRegex(source).exec(path));
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
