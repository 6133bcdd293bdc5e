// The site as one zip (index.html at its root: Amplify serves the zip's root), written to a temporary
// file in a stable order. Small files are deflated in batches on the worker threads (threads/pool.ts),
// a few batches ahead of the one being written; a large file streams through zlib at its turn. fflate
// writes the zip's records around the deflated bytes (it takes entries compressed by the caller).
import { mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Zip, type ZipInputFile } from 'fflate';
import { formatBytes, normalizeSitePath } from '@/lib/site-files';
import { forEachConcurrently } from '../concurrency';
import { PlatformError } from '../http';
import { JoinedWrites } from '../joined-writes';
import type { Ctx } from './state';
import { readAll } from '../../storage/object-store';
import { onThreads } from '../../threads/pool';

/** Already-compressed formats go into the zip as they are; deflating them again only costs time. */
const STORED_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'woff', 'woff2', 'zip', 'gz', 'br', 'mp4', 'webm', 'mp3', 'ogg', 'pdf']);

/** A fixed date in every entry, so the same files make the same zip. */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');
/** Each entry is a regular file, rw-r--r--, made on Unix (the mode sits in the high half of the attributes). */
const ENTRY_ATTRIBUTES = 0o100644 * 0x10000;
const MADE_ON_UNIX = 3;
const DEFLATED = 8;
const STORED = 0;

function compressionFor(path: string): typeof DEFLATED | typeof STORED {
  const ext = path.includes('.') ? path.slice(path.lastIndexOf('.') + 1).toLowerCase() : '';
  return STORED_EXTENSIONS.has(ext) ? STORED : DEFLATED;
}

/** Files up to this size are read whole and deflated in one call; larger ones stream through when their turn comes. */
const ZIP_WHOLE_FILE_BYTES = 1024 * 1024;
/**
 * Small files go to the threads in batches of about this many bytes (and ZIP_BATCH_FILES files at most):
 * one message each way for hundreds of files, where a zlib call per file cost twice the CPU of the deflate.
 */
const ZIP_BATCH_BYTES = 512 * 1024;
const ZIP_BATCH_FILES = 512;
/** Batches read and deflated ahead of the one being written: every worker busy, 2–4 MB held (a file up to 1 MB is a batch alone). */
const ZIP_BATCHES_AHEAD = 4;
/** Files of a batch read at once: a pack's first read waits for its copy, an older install's file is a request of its own. */
const ZIP_BATCH_READS = 4;
/** The zip's records are joined into file writes of this size. */
const ZIP_WRITE_BYTES = 1024 * 1024;

/** A file's entry, as fflate takes one: its CRC and size are set before its last bytes are handed over. */
function entryFor(path: string, compression: number): ZipInputFile {
  return { filename: path, compression, crc: 0, size: 0, mtime: ZIP_MTIME, os: MADE_ON_UNIX, attrs: ENTRY_ATTRIBUTES };
}

/** Hands `bytes` to a file's entry (fflate's types ask for a plain ArrayBuffer's view; a Buffer is one). */
function handOver(entry: ZipInputFile, bytes: Uint8Array, last: boolean): void {
  entry.ondata!(null, bytes as Uint8Array<ArrayBuffer>, last);
}

/** A file's bytes, read whole: their CRC-32 and what goes into the zip (deflated, or as they are). */
interface ReadAhead {
  crc: number;
  size: number;
  data: Buffer;
}

/** The zip's files in order: runs of small files read and deflated together, each large one alone. */
type Batch = { small: string[] } | { large: string };

function batchesOf(ctx: Ctx, paths: string[]): Batch[] {
  const batches: Batch[] = [];
  let small: string[] = [];
  let bytes = 0;
  const close = () => {
    if (small.length) batches.push({ small });
    small = [];
    bytes = 0;
  };
  for (const path of paths) {
    const size = ctx.manifest[path]!.size;
    if (size > ZIP_WHOLE_FILE_BYTES) {
      close();
      batches.push({ large: path });
      continue;
    }
    if (small.length >= ZIP_BATCH_FILES || (small.length > 0 && bytes + size > ZIP_BATCH_BYTES)) close();
    small.push(path);
    bytes += size;
  }
  close();
  return batches;
}

/** The zip's bytes as fflate hands them out, written to `file` in writes of ZIP_WRITE_BYTES. */
class ZipOutput {
  private readonly joined = new JoinedWrites(ZIP_WRITE_BYTES);
  private full: Buffer[] = [];
  failure: Error | null = null;

  constructor(private readonly handle: FileHandle) {}

  readonly take = (err: Error | null, chunk: Uint8Array, _final: boolean) => {
    if (err) this.failure ??= err;
    else for (const write of this.joined.add(chunk)) this.full.push(write);
  };

  /** Writes the full writes held (and what is left, at the end). */
  async write(all = false): Promise<void> {
    if (this.failure) throw this.failure;
    if (all) this.full.push(...this.joined.end());
    for (const bytes of this.full.splice(0))
      // A write may take fewer bytes than given (a full disk on the way to failing): the rest is written next.
      for (let at = 0; at < bytes.length;) at += (await this.handle.write(bytes, at)).bytesWritten;
  }
}

/**
 * Writes the zip of `paths`, in order, to `file`. Small files are read and deflated in batches, a few
 * batches ahead of the one being written; a large file streams through zlib at its turn.
 */
async function zipFiles(ctx: Ctx, paths: string[], file: string): Promise<void> {
  const handle = await open(file, 'w');
  try {
    const output = new ZipOutput(handle);
    const zip = new Zip(output.take);
    const batches = batchesOf(ctx, paths);
    // The small files' bytes in all: enough of them start the worker threads, as one large batch would.
    const whole = paths.reduce((n, p) => n + (ctx.manifest[p]!.size <= ZIP_WHOLE_FILE_BYTES && compressionFor(p) === DEFLATED ? ctx.manifest[p]!.size : 0), 0);
    const ahead = new Map<number, Promise<ReadAhead[]>>();
    let nextAhead = 0;
    const readAhead = () => {
      for (; nextAhead < batches.length && ahead.size < ZIP_BATCHES_AHEAD; nextAhead++) {
        const batch = batches[nextAhead]!;
        if (!('small' in batch)) continue; // streamed at its turn
        const read = readBatch(ctx, batch.small, whole);
        read.catch(() => {}); // awaited at its turn; a zip that fails before then must not leave it unhandled
        ahead.set(nextAhead, read);
      }
    };

    for (let i = 0; i < batches.length; i++) {
      readAhead();
      const batch = batches[i]!;
      if ('small' in batch) {
        const files = await ahead.get(i)!;
        ahead.delete(i);
        batch.small.forEach((path, j) => {
          const { crc, size, data } = files[j]!;
          const entry = entryFor(path, compressionFor(path));
          zip.add(entry);
          Object.assign(entry, { crc, size });
          handOver(entry, data, true);
        });
      } else {
        const entry = entryFor(batch.large, compressionFor(batch.large));
        zip.add(entry);
        await streamThrough(ctx, batch.large, entry, output);
      }
      await output.write();
    }
    zip.end();
    await output.write(true);
  } finally {
    await handle.close();
  }
}

/** A batch of small files read whole: those to deflate go to the threads, the others are taken as they are. */
async function readBatch(ctx: Ctx, paths: string[], whole: number): Promise<ReadAhead[]> {
  const files: { path: string; bytes: Buffer }[] = new Array(paths.length);
  await forEachConcurrently(
    paths,
    ZIP_BATCH_READS,
    async (path, i) => void (files[i] = { path, bytes: await readAll(await ctx.openBlob(ctx.manifest[path]!.sha256)) }),
  );
  const toDeflate = files.filter((f) => compressionFor(f.path) === DEFLATED);
  const deflated = await onThreads('deflate', toDeflate, { whole });
  let next = 0;
  return files.map(({ path, bytes }) => {
    if (compressionFor(path) !== DEFLATED) return { crc: zlib.crc32(bytes), size: bytes.length, data: bytes };
    const { crc, data } = deflated[next++]!;
    return { crc, size: bytes.length, data };
  });
}

/** A large file's bytes through zlib (or as they are) into its entry, written as they come. */
async function streamThrough(ctx: Ctx, path: string, entry: ZipInputFile, output: ZipOutput): Promise<void> {
  let crc = 0;
  let size = 0;
  const source = await ctx.openBlob(ctx.manifest[path]!.sha256);
  async function* counted(chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      crc = zlib.crc32(chunk, crc);
      size += chunk.length;
      yield chunk;
    }
  }
  async function into(chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      handOver(entry, chunk, false);
      await output.write();
    }
  }
  if (entry.compression === DEFLATED) await pipeline(source, counted, zlib.createDeflateRaw(), into);
  else await pipeline(source, counted, into);
  Object.assign(entry, { crc, size });
  handOver(entry, new Uint8Array(0), true);
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
