// A stream of unknown length, written to a temporary file while it is counted and hashed: S3 wants a
// body's length (and we send its SHA-256) before the first byte, and the caller's check must pass
// before anything is sent at all.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PutOptions } from './object-store';

export interface Spooled {
  file: string;
  size: number;
  sha256: string;
  /** Removes the file (always call it, in a `finally`). */
  remove(): Promise<void>;
}

/** Spools `body` into `dir`; refuses it past `maxBytes`, leaving no file behind on any failure. */
export async function spoolToTempFile(body: Readable, options: Pick<PutOptions, 'maxBytes' | 'tooLarge'>, dir = os.tmpdir()): Promise<Spooled> {
  const file = path.join(dir, `huskit-spool-${randomUUID()}`);
  const remove = () => rm(file, { force: true });
  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (options.maxBytes !== undefined && size > options.maxBytes) return done(options.tooLarge?.() ?? new Error('object too large'));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  // Owner-only: these are users' files.
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  try {
    await pipeline(body, counter, out);
  } catch (err) {
    // The file may still be opening when the pipeline fails: removing it before the open lands would
    // leave it behind, so wait for the stream to close first.
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    await remove();
    throw err;
  }
  return { file, size, sha256: hash.digest('hex'), remove };
}

/** Bytes in memory (a pack's parts) written to a temporary file in `dir`, as is; their hash is the caller's. */
export async function spoolParts(parts: readonly Uint8Array[], sha256: string, dir: string): Promise<Spooled> {
  const file = path.join(dir, `huskit-spool-${randomUUID()}`);
  const remove = () => rm(file, { force: true });
  try {
    // Owner-only, as spoolToTempFile's.
    await writeFile(file, parts, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    await remove();
    throw err;
  }
  return { file, size: parts.reduce((n, p) => n + p.length, 0), sha256, remove };
}

/**
 * A file on disk read back to be sent (a spooled body, a zip): in 1 MB chunks, since fetch sends each
 * chunk on its own and 64 KB ones took twice as long.
 */
export function readForUpload(file: string): Readable {
  return createReadStream(file, { highWaterMark: 1024 * 1024 });
}
