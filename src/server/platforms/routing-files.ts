// The `_redirects` and `_headers` files AI site builders write, read once here for the platforms that
// have their own way to say the same thing (each platform's page in docs/platforms says how it reads them).

export interface RedirectLine {
  /** A path, with `:name` placeholders and a trailing `*` splat. */
  from: string;
  /** A path or an absolute URL, with `:name` and `:splat`. */
  to: string;
  status: number;
  /** `200!`: applies even where a file exists (otherwise a file at the path wins). */
  force: boolean;
}

export interface HeaderBlock {
  /** A path, with a trailing `*`. */
  path: string;
  headers: { key: string; value: string }[];
}

const isPath = (p: string) => p.startsWith('/') && !/\s/.test(p);

/** Lines the caller cannot use are returned in `skipped`, as written, for the deployment log. */
export function parseRedirectsFile(text: string | undefined): { lines: RedirectLine[]; skipped: string[] } {
  const lines: RedirectLine[] = [];
  const skipped: string[] = [];
  for (const raw of (text ?? '').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [from, to, code = '301', ...conditions] = line.split(/\s+/);
    const status = Number(code.replace(/!$/, ''));
    // Conditions (Country=…, Role=…) cannot be carried over: without them the rule would apply to everyone.
    if (!from || !to || !isPath(from) || (!isPath(to) && !/^https?:\/\//.test(to)) || !Number.isInteger(status) || conditions.length > 0) skipped.push(line);
    else lines.push({ from, to, status, force: code.endsWith('!') });
  }
  return { lines, skipped };
}

export function parseHeadersFile(text: string | undefined): { blocks: HeaderBlock[]; skipped: string[] } {
  const blocks: HeaderBlock[] = [];
  const skipped: string[] = [];
  let current: HeaderBlock | undefined;
  for (const raw of (text ?? '').split(/\r?\n/)) {
    if (!raw.trim() || raw.trim().startsWith('#')) continue;
    if (!/^\s/.test(raw)) {
      const path = raw.trim();
      current = isPath(path) ? { path, headers: [] } : undefined;
      if (current) blocks.push(current);
      else skipped.push(path);
      continue;
    }
    const m = /^\s+([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(raw);
    // `! Name` (detach a header) has no equivalent on the platforms that translate these files.
    if (!current || !m) skipped.push(raw.trim());
    else current.headers.push({ key: m[1]!, value: m[2]!.trim() });
  }
  return { blocks: blocks.filter((b) => b.headers.length > 0), skipped };
}

/** A `_redirects` rule whose target is not a path of the site. */
export interface OffSiteRule {
  /** 1-based, as the platforms number lines in their logs. */
  line: number;
  text: string;
  target: string;
  /** Every status the platforms could read on the line; [] when none is written (a redirect, 301 or 302 by platform). */
  statuses: number[];
}

/** `/x` but not `//host` or `/\host`, which browsers read as another origin. */
const isSitePath = (p: string) => /^\/(?![/\\])/.test(p);
/** `Country=us`, `id=:id` (conditions and query matches), not a URL with `=` in its query. */
const isPair = (p: string) => /^[^/:=]+=/.test(p);

/**
 * Every rule that points anywhere but a path of the site, read more broadly than any one platform
 * does, so that no platform's reading can find a target this one missed: one platform takes the first
 * part after `from` that starts with `/` or `http(s)://` (query matches may come before it, conditions
 * after the status), another exactly the second token, our own translations the second token too (the
 * sources are in docs/platforms). So every token after `from` that is neither a status nor a
 * `key=value` pair is a target, and inline `#` comments end the line as on those platforms.
 */
export function offSiteRules(text: string): OffSiteRule[] {
  const found: OffSiteRule[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const tokens = line.split(/\s+/);
    const comment = tokens.findIndex((t, k) => k > 0 && t.startsWith('#'));
    const parts = tokens.slice(1, comment === -1 ? undefined : comment);
    // A status may be read with parseInt: `200abc` is 200.
    const statuses = parts.filter((t) => /^\d{3}/.test(t)).map((t) => Number.parseInt(t, 10));
    for (const target of parts.filter((t) => !/^\d{3}/.test(t) && !isPair(t))) {
      if (!isSitePath(target)) found.push({ line: i + 1, text: line.length > 200 ? `${line.slice(0, 200)}…` : line, target, statuses });
    }
  });
  return found;
}

/**
 * Why a quick deploy may not carry this rule, or undefined when it may: the one way off the site a
 * shared account allows is a plain 301/302 redirect to an https:// address (the visitor's browser
 * goes there; nothing is fetched for them, no method or body is carried over).
 */
export function offSiteProblem(rule: OffSiteRule): string | undefined {
  const { statuses, target } = rule;
  if (statuses.includes(200)) return `a proxy to ${target}`;
  const redirect = statuses.every((s) => s >= 300 && s < 400);
  if (redirect && statuses.every((s) => s === 301 || s === 302) && isPlainHttpsUrl(target)) return undefined;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('/')) return `points at "${target}", which is not a path of this site`;
  if (!redirect) return `answers status ${statuses.join('/')} with another site (${target})`;
  if (!isPlainHttpsUrl(target)) return `redirects to ${target}, which is not a plain https:// address`;
  return `is a ${statuses.join('/')} redirect to another site (${target}); only 301 and 302 may leave the site`;
}

function isPlainHttpsUrl(target: string): boolean {
  if (!target.startsWith('https://')) return false;
  try {
    const url = new URL(target);
    // `https://bank.example@evil.example` reads as the bank's address.
    return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
