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
  // Sorting the paths in code point order sorts them by their UTF-8 bytes, and the lines with them
  // (`\0` comes before every byte of a path). One string, encoded once.
  const lines = inByteOrder(Object.keys(manifest)).map((path) => `${path}\0${manifest[path]!.sha256}\0${manifest[path]!.size}\n`);
  return sha256Hex(new TextEncoder().encode(lines.join('')));
}

const HIGH_UNITS = /[\ud800-\uffff]/;

/** Sorts the paths (in place) by their UTF-8 bytes. */
export function inByteOrder(paths: string[]): string[] {
  // UTF-16 order is the same unless a path holds a unit from U+D800 up (rare; the comparison is slower).
  return paths.sort(paths.some((p) => HIGH_UNITS.test(p)) ? byCodePoints : undefined);
}

/**
 * Code point order, which is UTF-8 byte order. UTF-16 order (`<`) differs only where a surrogate
 * (U+D800–U+DFFF, half of a character above U+FFFF) meets a unit from U+E000–U+FFFF: surrogates
 * are moved above them.
 */
function byCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      if (x <= 0xdfff) x += 0x2800;
      if (y <= 0xdfff) y += 0x2800;
    }
    return x - y;
  }
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
 * `normalizedBefore`, a manifest this function answered earlier: its paths are not normalized again.
 */
export function normalizedManifest(manifest: ProposedManifest, normalizedBefore?: ProposedManifest): ProposedManifest | null {
  const out = new Map<string, ProposedFile>();
  for (const [raw, f] of Object.entries(manifest)) {
    // A path of an earlier normalized manifest (a redeploy's) is its own normalized form.
    const check = normalizedBefore && Object.hasOwn(normalizedBefore, raw) ? { ok: true as const, path: raw } : normalizeSitePath(raw);
    if (!check.ok || out.has(check.path)) return null;
    out.set(check.path, { sha256: f.sha256, size: f.size });
  }
  return Object.fromEntries(out);
}
