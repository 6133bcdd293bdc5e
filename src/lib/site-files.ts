// What a site's files may be: path rules, limits and content types. Shared by the browser (to warn
// before anything is uploaded) and the server (which decides).
import mime from 'mime';

export const SITE_LIMITS = {
  maxFiles: 5_000,
  maxTotalBytes: 50 * 1024 * 1024,
  maxNameBytes: 255,
  /** Browser → server upload requests stay under this; larger files go in chunks. */
  maxUploadRequestBytes: 4 * 1024 * 1024,
  /** Files in one upload request: each part costs the server a few KB of memory beyond its bytes. */
  maxFilesPerUploadRequest: 1_000,
} as const;

export interface ManifestEntry {
  sha256: string;
  size: number;
  contentType: string;
}

/** A deployment's files: normalized relative path → content. */
export type Manifest = Record<string, ManifestEntry>;

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Characters that change how a name reads without being seen: bidi controls (U+202E makes
 * `\u202Elmth.exe` read as `exe.html`), zero-width and other format characters (Cf), separators
 * other than the plain space, and the blank-looking letters (Hangul fillers, braille blank).
 */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u115f\u1160\u3164\uffa0\u2800\ufe00-\ufe0f]/u;

/** `U+202E` for the first invisible character of a name, for messages that must not render it. */
export function firstInvisible(raw: string): string | null {
  const m = INVISIBLE.exec(raw);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : null;
}

/** A path as it can be shown in a message: invisible and control characters spelled out, at most 200 characters. */
export function printablePath(raw: string): string {
  return JSON.stringify(raw)
    .slice(1, -1)
    .replace(new RegExp(INVISIBLE.source, 'gu'), (c) => `\\u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)
    .slice(0, 200);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** A "." or ".." folder or name. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;
const utf8 = new TextEncoder();

/**
 * A site path as the platforms need it: relative, `/`-separated, NFC, no `.`/`..`/empty segments,
 * no backslashes or control characters, each name at most 255 bytes.
 */
export function normalizeSitePath(raw: string): PathCheck {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, reason: 'is empty' };
  // Printable ASCII (most paths) holds no control, invisible or half character, and is its own NFC:
  // the checks below would cost more than all else here, over 5,000 paths.
  const ascii = PRINTABLE_ASCII.test(raw);
  if (!ascii) {
    if (/[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, reason: 'contains a control character' };
    // A surrogate without its other half is no character: UTF-8 (the platforms, the database) cannot hold it.
    if (/[\ud800-\udfff]/u.test(raw)) return { ok: false, reason: 'contains half of a character (a lone UTF-16 surrogate); rename the file' };
    const invisible = firstInvisible(raw);
    if (invisible)
      return { ok: false, reason: `contains an invisible or text-direction character (${invisible}); rename the file with visible characters only` };
  }
  if (raw.includes('\\')) return { ok: false, reason: 'contains a backslash; use "/" between folders' };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { ok: false, reason: 'is absolute; use a path relative to the site root' };
  // Most paths are already as stored: printable ASCII, no "." or ".." folder, no empty one, no name over
  // 255 bytes (the whole path is not). Those are answered without splitting and joining them.
  if (ascii && raw.length <= SITE_LIMITS.maxNameBytes && !raw.endsWith('/') && !raw.includes('//') && !DOT_SEGMENT.test(raw)) return { ok: true, path: raw };
  const segments = (ascii ? raw : raw.normalize('NFC')).split('/');
  const kept: string[] = [];
  for (const segment of segments) {
    if (segment === '.') continue;
    if (segment === '..') return { ok: false, reason: 'goes up a folder ("..")' };
    if (segment === '') return { ok: false, reason: 'has an empty folder name ("//" or a trailing "/")' };
    // A UTF-16 unit is at most 3 bytes of UTF-8: only a long name needs counting.
    if (segment.length * 3 > SITE_LIMITS.maxNameBytes && utf8.encode(segment).length > SITE_LIMITS.maxNameBytes)
      return { ok: false, reason: 'has a name longer than 255 bytes' };
    kept.push(segment);
  }
  if (kept.length === 0) return { ok: false, reason: 'names no file' };
  return { ok: true, path: kept.join('/') };
}

/** The MIME type served for a path; text types carry `charset=utf-8`. Null when the extension is unknown. */
export function contentTypeFor(path: string): string | null {
  const type = mime.getType(path);
  if (!type) return null;
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type;
}

/** The MIME type a site serves for a path: `application/octet-stream` when the extension is unknown. */
export function servedContentType(path: string): string {
  return contentTypeFor(path) ?? 'application/octet-stream';
}

/** When there is no index.html at the root: the shallowest folder that holds one, if any. */
export function folderHoldingIndex(paths: Iterable<string>): string | null {
  let best: string | null = null;
  for (const p of paths) {
    if (!p.endsWith('/index.html')) continue;
    const folder = p.slice(0, -'index.html'.length);
    if (best === null || folder.split('/').length < best.split('/').length) best = folder;
  }
  return best;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
