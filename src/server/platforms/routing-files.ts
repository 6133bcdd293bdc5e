// The `_redirects` and `_headers` files AI site builders write (the Netlify / Cloudflare format), read
// once here for the platforms that have their own way to say the same thing (Vercel, Amplify).

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
    // `! Name` (detach a header) has no equivalent outside Cloudflare.
    if (!current || !m) skipped.push(raw.trim());
    else current.headers.push({ key: m[1]!, value: m[2]!.trim() });
  }
  return { blocks: blocks.filter((b) => b.headers.length > 0), skipped };
}
