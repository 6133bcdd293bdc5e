// What the worker threads do with files, each job two ways: on a worker (synchronous, one native call a
// file: the thread has nothing else to do) and in place on the main thread (letting other work run).
// A worker's answer is one message, its bytes in one transferred buffer: a Buffer from Node's shared
// pool would carry the whole pool with it, and transferring it would take the pool from its other users.
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { scanBytes } from '../deploy/scan/file-scan';
import type { ScanHit } from '../deploy/scan/hits';
import { forEachConcurrently } from '../platforms/concurrency';

export interface FileBytes {
  path: string;
  bytes: Buffer;
}

/** A file deflated as a zip entry holds it: raw deflate, with the CRC-32 of its bytes. */
export interface Deflated {
  crc: number;
  data: Buffer;
}

/** What a worker posts back: a value and the buffers transferred with it. */
export interface Posted {
  value: unknown;
  transfer: ArrayBuffer[];
}

interface Job<Answer> {
  /** On a worker thread, every file in one go. */
  onThread(files: FileBytes[]): Posted;
  /** A worker's posted value, one answer per file, on the main thread. */
  received(value: unknown): Answer[];
  /** On the main thread: a batch too small for a message, or no worker running. */
  inPlace(files: FileBytes[]): Promise<Answer[]>;
}

/** Buffers back to back in one fresh buffer, and where each ends: what a message transfers. */
export function joinBuffers(parts: Uint8Array[]): { bytes: Uint8Array<ArrayBuffer>; ends: Uint32Array<ArrayBuffer> } {
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const ends = new Uint32Array(parts.length);
  let at = 0;
  parts.forEach((p, i) => {
    bytes.set(p, at);
    ends[i] = at += p.length;
  });
  return { bytes, ends };
}

/** The buffers `joinBuffers` joined, as views of its one buffer (not copies). */
export function splitBuffers(bytes: Uint8Array, ends: Uint32Array): Buffer[] {
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from(ends, (end, i) => all.subarray(i === 0 ? 0 : ends[i - 1], end));
}

/** How long a job in place holds the event loop before letting waiting requests run. */
const SLICE_MS = 20;

async function scanInPlace(files: FileBytes[]): Promise<(ScanHit | null)[]> {
  const hits: (ScanHit | null)[] = [];
  let sliceStart = performance.now();
  for (const f of files) {
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToEvents();
      sliceStart = performance.now();
    }
    hits.push(scanBytes(f.path, f.bytes));
  }
  return hits;
}

const deflateRaw = promisify(zlib.deflateRaw);
/** zlib calls in place at once: libuv's thread pool runs 4, and each holds ~256 KB of zlib state. */
const DEFLATES_IN_PLACE = 4;

async function deflateInPlace(files: FileBytes[]): Promise<Deflated[]> {
  const answers: Deflated[] = new Array(files.length);
  await forEachConcurrently(files, DEFLATES_IN_PLACE, async (f, i) => void (answers[i] = { crc: zlib.crc32(f.bytes), data: await deflateRaw(f.bytes) }));
  return answers;
}

interface DeflatedPacked {
  crcs: Uint32Array<ArrayBuffer>;
  ends: Uint32Array<ArrayBuffer>;
  bytes: Uint8Array<ArrayBuffer>;
}

export const jobs = {
  /** Each file's first hit of the content scan (null: clean). */
  scan: {
    onThread: (files): Posted => ({ value: files.map((f) => scanBytes(f.path, f.bytes)), transfer: [] }),
    received: (value) => value as (ScanHit | null)[],
    inPlace: scanInPlace,
  } satisfies Job<ScanHit | null>,
  /** Each file deflated (zlib's default level, as `zip` uses). */
  deflate: {
    onThread: (files): Posted => {
      const packed: DeflatedPacked = {
        crcs: Uint32Array.from(files, (f) => zlib.crc32(f.bytes)),
        ...joinBuffers(files.map((f) => zlib.deflateRawSync(f.bytes))),
      };
      return { value: packed, transfer: [packed.crcs.buffer, packed.ends.buffer, packed.bytes.buffer] };
    },
    received: (value) => {
      const { crcs, ends, bytes } = value as DeflatedPacked;
      const data = splitBuffers(bytes, ends);
      return Array.from(crcs, (crc, i) => ({ crc, data: data[i]! }));
    },
    // zlib's asynchronous calls run on libuv's thread pool, off the main thread.
    inPlace: deflateInPlace,
  } satisfies Job<Deflated>,
};

export type JobName = keyof typeof jobs;
export type AnswerOf<J extends JobName> = Awaited<ReturnType<(typeof jobs)[J]['inPlace']>>[number];
