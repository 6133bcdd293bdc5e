// Where file bytes live: a key → bytes store with two backends chosen by configuration (a folder on
// disk, the default; S3-compatible object storage for production and several instances). PostgreSQL
// keeps only what is known about the bytes (see deploy/blob-store.ts); this layer knows nothing of
// hashes, users or quotas: it writes, reads, sizes and deletes objects, atomically.
import type { Readable } from 'node:stream';

/**
 * A stream's bytes, whole: for small objects (a page, a `_redirects` file, a window of a pack). Plain
 * concatenation: node:stream/consumers' `buffer` goes through a Blob and costs two more copies.
 */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  // A file read in one piece (most are) is not copied again.
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export type ObjectStoreKind = 'fs' | 's3';

/** An object's bytes: streamed, whole, or as parts one after another. */
export type ObjectBody = Readable | Uint8Array | readonly Uint8Array[];

/** The bytes of a body given whole or in parts (not a stream), as parts; null for a stream. */
export const partsOf = (body: ObjectBody): readonly Uint8Array[] | null => (body instanceof Uint8Array ? [body] : Array.isArray(body) ? body : null);

export interface PutOptions {
  /**
   * Runs after the last byte was taken and before the object becomes visible under its key (the
   * caller's hash check). If it throws, nothing is stored and `put` rejects with that error.
   */
  beforeCommit?: (size: number) => void | Promise<void>;
  /** Refuse (with `tooLarge()`'s error) a body that grows past this many bytes; nothing is stored. */
  maxBytes?: number;
  tooLarge?: () => Error;
}

export interface LocalCopy {
  path: string;
  release(): Promise<void>;
}

export interface ObjectStore {
  readonly kind: ObjectStoreKind;
  /**
   * Stores `body` under `key` so that a reader sees all of it or nothing (a crash mid-write leaves
   * nothing under the key); writing a key that exists replaces it. Returns the bytes written. A list
   * of byte arrays is stored as their concatenation, without joining them in memory first (a pack).
   */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<number>;
  /** The object's bytes, streamed (`range` is inclusive, as HTTP's). Rejects with `ObjectNotFound`. */
  get(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /**
   * The object as a file on this machine, for many reads at offsets (a pack): the folder store's own
   * file, or S3's object downloaded once (streamed) into a temporary file. `release` removes what was
   * made for it; a handle opened before `release` keeps reading (POSIX keeps an open file's bytes).
   * Rejects with `ObjectNotFound`.
   */
  local(key: string): Promise<LocalCopy>;
  /** The object's size in bytes, or null when there is none. */
  size(key: string): Promise<number | null>;
  /** Removes the object; an absent one counts as removed. */
  delete(key: string): Promise<void>;
  /**
   * Every key under `prefix`; with `modifiedBefore` (ms since the epoch), only those last written before
   * then (for collecting what a crash left behind, without taking what is being written now).
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<string>;
}

export interface ListOptions {
  modifiedBefore?: number;
}

/**
 * Keys are our own (`blobs/ab/…`, `parts/…`), and every backend takes the same ones: anything that
 * could leave a folder, or that one backend would store and another refuse, is a bug (and a listed key
 * that is not one was not written by us).
 */
export function isObjectKey(key: string): boolean {
  return /^[a-z0-9][a-z0-9/_.-]*$/i.test(key) && !key.split('/').some((s) => s === '' || s === '.' || s === '..');
}

/** Refuses a key that is not one of ours (see isObjectKey). */
export function assertObjectKey(key: string): void {
  if (!isObjectKey(key)) throw new Error(`bad object key ${JSON.stringify(key)}`);
}

export class ObjectNotFound extends Error {
  constructor(readonly key: string) {
    super(`No object stored under ${key}`);
    this.name = 'ObjectNotFound';
  }
}
