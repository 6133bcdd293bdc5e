// The site as one zip (index.html at its root: Amplify serves the zip's root), written to a temporary
// file in a stable order, deflated on the thread pool window by window so memory stays bounded.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { formatBytes, normalizeSitePath } from '@/lib/site-files';
import { forEachConcurrently } from '../concurrency';
import { joinedChunks } from '../joined-chunks';
import { PlatformError } from '../http';
import type { Ctx } from './state';
import { readAll } from '../../storage/object-store';

/** Already-compressed formats go into the zip as they are; deflating them again only costs time. */
const STORED_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'woff', 'woff2', 'zip', 'gz', 'br', 'mp4', 'webm', 'mp3', 'ogg', 'pdf']);

/** A fixed date in every entry, so the same files make the same zip. */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

function compressionFor(path: string): 'STORE' | 'DEFLATE' {
  const ext = path.includes('.') ? path.slice(path.lastIndexOf('.') + 1).toLowerCase() : '';
  return STORED_EXTENSIONS.has(ext) ? 'STORE' : 'DEFLATE';
}

/** Files handed to the zip at once: their zlib states (≈ 270 KB each) are what a zip holds in memory. */
const ZIP_WINDOW = 64;
/**
 * Files to deflate up to this size are read whole, so that yazl deflates a window's files at once on
 * the thread pool (one stream per file serialises the deflates: 4–7 s instead of 2.8 s for 5,000 files);
 * larger files, and those stored as they are, stream through.
 */
const ZIP_IN_MEMORY_FILE_BYTES = 1024 * 1024;
/** What a window may read into memory, so that two windows in flight stay far below a whole site. */
const ZIP_WINDOW_BYTES = 8 * 1024 * 1024;
/** Files read from the blob store at once while a window is prepared. */
const ZIP_READS = 8;

/**
 * Writes the zip of `paths`, in order, to `file`. yazl deflates with Node's native zlib on the thread
 * pool. Given every file at once, yazl would start every deflate at once (1.3 GB of zlib state for
 * 5,000 files); so files go in by windows, and the last file of a window is added lazily: yazl asks
 * for it once the files before it are written, which is when the next window may start. Two windows
 * are in flight.
 */
async function zipFiles(ctx: Ctx, paths: string[], file: string): Promise<void> {
  const zip = new ZipFile();
  const output = zip.outputStream as Readable;
  let next = 0;
  let failed = false;
  let windows = Promise.resolve();
  const fail = (err: unknown) => {
    failed = true;
    output.destroy(err instanceof Error ? err : new Error(String(err)));
  };

  const addWindow = async () => {
    if (next >= paths.length) return;
    const window: { path: string; inMemory: boolean }[] = [];
    let windowBytes = 0;
    for (; next < paths.length && window.length < ZIP_WINDOW; next++) {
      const path = paths[next]!;
      const { size } = ctx.manifest[path]!;
      const inMemory = compressionFor(path) === 'DEFLATE' && size <= ZIP_IN_MEMORY_FILE_BYTES;
      if (inMemory && window.length > 0 && windowBytes + size > ZIP_WINDOW_BYTES) break;
      if (inMemory) windowBytes += size;
      window.push({ path, inMemory });
    }
    const last = next < paths.length ? window.length - 1 : -1;
    const bytes = new Map<string, Buffer>();
    const read = window.filter((f, i) => f.inMemory && i !== last);
    await forEachConcurrently(read, ZIP_READS, async ({ path }) => {
      bytes.set(path, await readAll(await ctx.openBlob(ctx.manifest[path]!.sha256)));
    });
    window.forEach(({ path }, i) => {
      const options = { mtime: ZIP_MTIME, mode: 0o100644, compress: compressionFor(path) === 'DEFLATE' };
      const inMemory = bytes.get(path);
      if (inMemory) zip.addBuffer(inMemory, path, options);
      else
        zip.addReadStreamLazy(path, { ...options, size: ctx.manifest[path]!.size }, (cb) => {
          if (i === last) setImmediate(queueWindow);
          if (failed) return;
          // Opened only now that yazl writes it: a window holds no open streams while it waits.
          ctx.openBlob(ctx.manifest[path]!.sha256).then((stream) => {
            stream.on('error', fail);
            cb(null, stream);
          }, fail);
        });
    });
    if (next >= paths.length) zip.end();
  };
  // In order: a window's files are added only after those of the window before.
  const queueWindow = () => {
    windows = windows.then(addWindow).catch(fail);
  };

  zip.on('error', fail);
  queueWindow();
  queueWindow();
  // yazl writes every header, descriptor and deflated piece as a chunk of its own: joined, 5,000 files
  // are ~120 file writes instead of ~15,000.
  await pipeline(output, (chunks: AsyncIterable<Buffer>) => joinedChunks(chunks), createWriteStream(file));
}

/** A fresh temporary folder for `work`, removed afterwards whatever happens (an error, a cancel). */
export async function withTemporaryFile<T>(work: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'huskit-amplify-'));
  try {
    return await work(join(dir, 'site.zip'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Zips the site's files into `file` (index.html at the zip's root: Amplify serves the zip's root), in
 * a stable order, and answers the zip's size in bytes.
 */
export async function zipSite(ctx: Ctx, file: string): Promise<number> {
  const paths = Object.keys(ctx.manifest).sort();
  if (paths.length === 0) throw new PlatformError('bad_request', 'The site has no files to deploy.');
  for (const path of paths) {
    const check = normalizeSitePath(path);
    if (!check.ok || check.path !== path)
      throw new PlatformError('bad_request', `The file path "${path.slice(0, 100)}" cannot be deployed: it ${check.ok ? 'is not normalized' : check.reason}.`);
  }
  const totalBytes = paths.reduce((n, p) => n + ctx.manifest[p]!.size, 0);
  await ctx.report('zip', 20, `Zipping ${paths.length} files (${formatBytes(totalBytes)})`);

  await zipFiles(ctx, paths, file);
  const { size } = await stat(file);
  await ctx.report('zip', 40, `Zipped ${paths.length} files: ${totalBytes} bytes into ${size} bytes`);
  return size;
}
