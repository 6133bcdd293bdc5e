// Reading a deployment's blobs. Small files live in packs (blob-keys.ts): many files of one upload
// request in one object. A reader opens each pack it needs once, as a file on this machine (the folder
// store's own file; S3's object downloaded once, streamed), and reads each file at its offset from
// that handle: one read per file, in whatever order the platform, the zip or the scan asks, and
// tens of requests to the store for thousands of files instead of one each.
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open as openFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { readAll, type ObjectStore } from '../storage/object-store';
import type { BlobLocation } from './pack-index';

/** Files up to this size are read whole into memory; larger ones stream from the pack. */
const WHOLE_READ_BYTES = 256 * 1024;

export interface BlobReader {
  open(sha256: string): Promise<Readable>;
  /** A small file's bytes as UTF-8 text (a `_redirects` file, a page for the checks). */
  text(sha256: string): Promise<string>;
  /** Lets go of the packs it opened (always call it, in a `finally`). */
  close(): Promise<void>;
}

export interface BlobReaderSource {
  objects: ObjectStore;
  locate(sha256s: string[]): Promise<Map<string, BlobLocation>>;
  /** One blob read on its own (its own object, or an older install's row), with a clear error if gone. */
  openAt(sha256: string, at: BlobLocation | undefined): Promise<Readable>;
}

/** A reader for `sha256s`: their places are looked up together at the first `open` (one query). */
export function blobReader(source: BlobReaderSource, sha256s: string[]): BlobReader {
  let places: Promise<Map<string, BlobLocation>> | undefined;
  let opened = 0;
  const packs = new Map<string, Promise<FileHandle>>();
  let closed = false;

  const packHandle = (object: string): Promise<FileHandle> => {
    let handle = packs.get(object);
    if (!handle) {
      handle = (async () => {
        const copy = await source.objects.local(object);
        try {
          return await openFile(copy.path, 'r');
        } finally {
          // An S3 pack's temporary file goes at once: the open handle keeps its bytes readable.
          await copy.release();
        }
      })();
      handle.catch(() => packs.delete(object));
      packs.set(object, handle);
    }
    return handle;
  };

  const open = async (sha256: string): Promise<Readable> => {
    if (closed) throw new Error('blob reader used after close');
    // The first file is looked up alone (a redeploy reads one or two of thousands); from the second on,
    // every file at once.
    const first = opened++ === 0 && !places;
    if (!first) places ??= source.locate(sha256s);
    const at = (!first && (await places!).get(sha256)) || (await source.locate([sha256])).get(sha256);
    // A large file alone in its object streams from the store; a pack's files are read from its local copy.
    if (!at || at.files === 1) return openAgainIfMoved(sha256, at);
    if (at.size === 0) return Readable.from([]);
    let handle: FileHandle;
    try {
      handle = await packHandle(at.object);
    } catch {
      // Looked up again (the bytes may have moved to a copy uploaded since), then read on its own: it
      // says what is wrong (an older install's row, or "upload it again").
      return source.openAt(sha256, (await source.locate([sha256])).get(sha256));
    }
    if (at.size > WHOLE_READ_BYTES) return handle.createReadStream({ start: at.offset, end: at.offset + at.size - 1, autoClose: false });
    // A small read of a local file is a few microseconds in place; through the thread pool (a promise,
    // a request, a callback) it cost ten times that, and a deployment makes thousands of them.
    // Memory of its own, not a slice of Node's shared pool: handed to a worker thread, a pooled slice
    // would carry the whole 8 KB pool with it.
    const bytes = Buffer.allocUnsafeSlow(at.size);
    for (let got = 0; got < at.size;) {
      const bytesRead = readSync(handle.fd, bytes, got, at.size - got, at.offset + got);
      if (bytesRead === 0) throw new Error(`pack ${at.object} ends before the file with SHA-256 ${sha256}`);
      got += bytesRead;
    }
    return Readable.from([bytes]);
  };

  /** Read on its own; looked up again once when its pack went since (the cleanup wrote it again elsewhere). */
  const openAgainIfMoved = async (sha256: string, at: BlobLocation | undefined): Promise<Readable> => {
    try {
      return await source.openAt(sha256, at);
    } catch (err) {
      const again = at && (await source.locate([sha256])).get(sha256);
      if (!again || again.pack === at.pack) throw err;
      return source.openAt(sha256, again);
    }
  };

  const close = async () => {
    closed = true;
    const handles = [...packs.values()];
    packs.clear();
    for (const handle of handles)
      await handle.then(
        (h) => h.close(),
        () => {},
      );
  };
  return { open, text: async (sha256) => (await readAll(await open(sha256))).toString('utf8'), close };
}
