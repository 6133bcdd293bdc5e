// A site's files as a client proposes them (path → content hash and size), the hash that names such
// a set, and the changes between two sets. Shared by the browser, which sends only what changed since
// its last deployment, and the server, which rebuilds the whole set and checks it against the hash.
import { normalizeSitePath } from './site-files';
import { sha256Hex } from './upload';

export interface ProposedFile {
  sha256: string;
  size: number;
}

/** Path → content. Content types are not part of it: the server decides them from the paths. */
export type ProposedManifest = Record<string, ProposedFile>;

/** What changed since a base manifest: files added or changed (path → new content), paths removed. */
export interface ManifestChanges {
  changed: ProposedManifest;
  removed: string[];
}

/**
 * The manifest hash: SHA-256 (lowercase hex) of one line per file, `path \0 sha256 \0 size \n` (size in
 * decimal), the lines sorted by the UTF-8 bytes of the path, with paths as normalizeSitePath leaves
 * them (the server hashes what it stores). No valid path holds `\0` or `\n`, so lines cannot blur.
 */
export async function manifestHash(manifest: ProposedManifest): Promise<string> {
  const encoder = new TextEncoder();
  // `\0` sorts below every byte of a path, so sorting whole lines sorts by path.
  const lines = Object.entries(manifest)
    .map(([path, f]) => encoder.encode(`${path}\0${f.sha256}\0${f.size}\n`))
    .sort(compareBytes);
  const all = new Uint8Array(lines.reduce((n, l) => n + l.length, 0));
  let at = 0;
  for (const line of lines) {
    all.set(line, at);
    at += line.length;
  }
  return sha256Hex(all);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

// Own properties only, built with Object.fromEntries: a file may be named `constructor` or `__proto__`.
const own = (m: ProposedManifest, path: string) => (Object.hasOwn(m, path) ? m[path] : undefined);

/** What turns `from` into `to`. */
export function diffManifests(from: ProposedManifest, to: ProposedManifest): ManifestChanges {
  const changed = Object.entries(to).filter(([path, f]) => {
    const before = own(from, path);
    return !before || before.sha256 !== f.sha256 || before.size !== f.size;
  });
  return { changed: Object.fromEntries(changed), removed: Object.keys(from).filter((path) => !Object.hasOwn(to, path)) };
}

/** The base with the changes applied: removed paths go, changed ones take their new content. */
export function applyChanges(base: ProposedManifest, changes: ManifestChanges): ProposedManifest {
  const out = new Map(Object.entries(base));
  for (const path of changes.removed) out.delete(path);
  for (const [path, f] of Object.entries(changes.changed)) out.set(path, f);
  return Object.fromEntries(out);
}

/**
 * The manifest with its paths as the server will store them, or null when a path is invalid or two
 * paths become one: such a manifest is sent as it is, for the server to refuse with its reason.
 */
export function normalizedManifest(manifest: ProposedManifest): ProposedManifest | null {
  const out = new Map<string, ProposedFile>();
  for (const [raw, f] of Object.entries(manifest)) {
    const check = normalizeSitePath(raw);
    if (!check.ok || out.has(check.path)) return null;
    out.set(check.path, { sha256: f.sha256, size: f.size });
  }
  return Object.fromEntries(out);
}
