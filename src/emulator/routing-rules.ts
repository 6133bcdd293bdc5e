// A site's root `_redirects` and `_headers`, parsed and applied the way the platforms that read them do
// for the common subset (each twin's docs/platforms page says which differences it adds): static and
// splat/placeholder redirects with 200/301/302/303/307/308, and header rules with `*` splats.

export interface RedirectRule {
  from: string;
  to: string;
  status: number;
}

export interface HeaderRule {
  pattern: string;
  set: [string, string][];
  detach: string[];
}

const REDIRECT_STATUSES = new Set([200, 301, 302, 303, 307, 308]);

export function parseRedirects(text: string): RedirectRule[] {
  const rules: RedirectRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [from, to, code] = line.split(/\s+/);
    if (!from || !to) continue;
    const status = code ? Number(code) : 302;
    if (!REDIRECT_STATUSES.has(status)) continue;
    // A 200 rewrite may only point at a path of the same site.
    if (status === 200 && !to.startsWith('/')) continue;
    rules.push({ from, to, status });
  }
  // Static rules win over dynamic ones, each group in file order.
  const dynamic = (r: RedirectRule) => r.from.includes('*') || r.from.includes(':');
  return [...rules.filter((r) => !dynamic(r)), ...rules.filter(dynamic)];
}

export function parseHeaders(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  let current: HeaderRule | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (!raw.trim() || raw.trim().startsWith('#')) continue;
    if (!/^\s/.test(raw)) {
      current = { pattern: raw.trim(), set: [], detach: [] };
      rules.push(current);
      continue;
    }
    if (!current) continue;
    const line = raw.trim();
    if (line.startsWith('!')) current.detach.push(line.slice(1).trim().toLowerCase());
    else {
      const colon = line.indexOf(':');
      if (colon > 0) current.set.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
  }
  return rules;
}

/** Matches `/blog/:slug/*` style patterns; returns the captured values or null. */
export function matchPattern(pattern: string, path: string): Record<string, string> | null {
  let regex = '^';
  const names: string[] = [];
  for (const piece of pattern.split(/(\*|:[A-Za-z_][A-Za-z0-9_]*)/)) {
    if (piece === '*') {
      names.push('splat');
      regex += '(.*)';
    } else if (piece.startsWith(':') && piece.length > 1) {
      names.push(piece.slice(1));
      regex += '([^/]+)';
    } else regex += piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp(`${regex}$`).exec(path);
  if (!m) return null;
  return Object.fromEntries(names.map((n, i) => [n, m[i + 1] ?? '']));
}

export function findRedirect(rules: RedirectRule[], path: string): { to: string; status: number } | null {
  for (const rule of rules) {
    const captured = matchPattern(rule.from, path);
    if (!captured) continue;
    const to = rule.to.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => captured[name] ?? whole);
    return { to, status: rule.status };
  }
  return null;
}

export function headersFor(rules: HeaderRule[], path: string): { set: Map<string, string>; detach: Set<string> } {
  const set = new Map<string, string>();
  const detach = new Set<string>();
  for (const rule of rules) {
    const captured = matchPattern(rule.pattern, path);
    if (!captured) continue;
    for (const [name, value] of rule.set) {
      const v = value.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, n: string) => captured[n] ?? whole);
      set.set(name, set.has(name) ? `${set.get(name)}, ${v}` : v);
    }
    for (const name of rule.detach) detach.add(name);
  }
  return { set, detach };
}
