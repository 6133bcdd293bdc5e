// Reading a deployment's blobs. Small files live in packs (blob-store.ts), usually next to the files
// uploaded with them, and are read in about the order they were uploaded (a platform's buckets, the
// zip, the scan all follow the manifest). So a small blob is read as part of a window of its pack: one
// ranged read brings its neighbours too, and a window stays cached while the reader walks through it.
// Thousands of small files then cost tens of reads of the store, not thousands.
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { ObjectStore } from '../storage/object-store';

/** Small files uploaded together are stored as one object, a pack: their bytes one after another. */
export const packKey = (pack: string) => `packs/${pack}`;

/** Where one blob's bytes are: its own object, or a range of a pack. */
export interface BlobLocation {
  size: number;
  pack: string | null;
  packOffset: number | null;
}

/** Blobs up to this size are read through windows; larger ones stream on their own. */
const SMALL_BLOB_BYTES = 256 * 1024;
/** How much of a pack one read brings. */
const WINDOW_BYTES = 1024 * 1024;
/** Windows kept at once, least recently used dropped first: bounds a reader's memory (8 MB). */
const WINDOWS_KEPT = 8;

export interface BlobReader {
  open(sha256: string): Promise<Readable>;
  /** A small file's bytes as UTF-8 text (a `_redirects` file, a page for the checks). */
  text(sha256: string): Promise<string>;
}

interface Window {
  pack: string;
  start: number;
  end: number;
}

interface Located {
  at: BlobLocation;
  window?: Window;
}

export interface BlobReaderSource {
  objects: ObjectStore;
  locate(sha256s: string[]): Promise<Map<string, BlobLocation>>;
  /** One blob read on its own (its own object, a range of a pack, or an older install's row). */
  openAt(sha256: string, at: BlobLocation | undefined): Promise<Readable>;
}

/** A reader for `sha256s`: their places are looked up together at the first `open` (one query). */
export function blobReader(source: BlobReaderSource, sha256s: string[]): BlobReader {
  let places: Promise<Map<string, Located>> | undefined;
  const windows = new Map<Window, Promise<Buffer>>();

  const windowBytes = (window: Window): Promise<Buffer> => {
    let bytes = windows.get(window);
    if (bytes) windows.delete(window);
    else {
      bytes = source.objects.get(packKey(window.pack), { start: window.start, end: window.end - 1 }).then(buffer);
      bytes.catch(() => windows.delete(window));
    }
    windows.set(window, bytes);
    for (const old of windows.keys()) {
      if (windows.size <= WINDOWS_KEPT) break;
      windows.delete(old);
    }
    return bytes;
  };

  const open = async (sha256: string): Promise<Readable> => {
    places ??= source.locate(sha256s).then(windowsOf);
    const found = (await places).get(sha256);
    if (!found?.window) return source.openAt(sha256, found?.at);
    const { at, window } = found;
    let bytes: Buffer;
    try {
      bytes = await windowBytes(window);
    } catch {
      // The read on its own says what is wrong (an older install's row, or a clear "upload it again").
      return source.openAt(sha256, at);
    }
    const from = at.packOffset! - window.start;
    return Readable.from([bytes.subarray(from, from + at.size)]);
  };
  return { open, text: async (sha256) => (await buffer(await open(sha256))).toString('utf8') };
}

/** Groups the small packed blobs into windows: neighbours in one pack, a window at most WINDOW_BYTES long. */
function windowsOf(places: Map<string, BlobLocation>): Map<string, Located> {
  const located = new Map<string, Located>();
  const byPack = new Map<string, [string, BlobLocation][]>();
  for (const [sha256, at] of places) {
    located.set(sha256, { at });
    if (at.pack === null || at.packOffset === null || at.size === 0 || at.size > SMALL_BLOB_BYTES) continue;
    if (!byPack.has(at.pack)) byPack.set(at.pack, []);
    byPack.get(at.pack)!.push([sha256, at]);
  }
  for (const [pack, blobs] of byPack) {
    blobs.sort((a, b) => a[1].packOffset! - b[1].packOffset!);
    let window: Window | undefined;
    for (const [sha256, at] of blobs) {
      const end = at.packOffset! + at.size;
      if (window && end - window.start <= WINDOW_BYTES) window.end = Math.max(window.end, end);
      else window = { pack, start: at.packOffset!, end };
      located.get(sha256)!.window = window;
    }
  }
  return located;
}
