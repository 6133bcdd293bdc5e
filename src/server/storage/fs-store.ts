// Objects as files under one folder. A write goes to a temporary file beside its place, is fsynced,
// checked, then renamed into place: rename is atomic on one filesystem, so a crash never leaves a
// half-written object under its key (only a temporary file, which `sweepTemporary` removes).
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { assertObjectKey, ObjectNotFound, partsOf, type ListOptions, type LocalCopy, type ObjectBody, type ObjectStore, type PutOptions } from './object-store';

const TMP = '.tmp';

/**
 * Writes the parts one after another in gathered writes of up to 1,024 parts (libuv continues a short
 * write itself; one still short fails the put, which then leaves nothing).
 */
async function writeAllParts(handle: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  for (let i = 0; i < parts.length; i += 1024) {
    const batch = parts.slice(i, i + 1024);
    const size = batch.reduce((n, p) => n + p.length, 0);
    const { bytesWritten } = await handle.writev(batch);
    if (bytesWritten !== size) throw new Error(`Short write: ${bytesWritten} of ${size} bytes.`);
  }
}

/**
 * Writes all of a chunk: a write may take fewer bytes than given (a disk filling up), and the rest is
 * written again; one that takes none fails the put (its hash was of the bytes given, not of those on disk).
 */
async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let at = 0; at < chunk.length;) {
    const { bytesWritten } = await handle.write(chunk, at, chunk.length - at);
    if (bytesWritten <= 0) throw new Error(`Short write: ${at} of ${chunk.length} bytes.`);
    at += bytesWritten;
  }
}

/** Flushes a folder's entries (a file renamed or made in it) to disk. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;
  constructor(readonly root: string) {}

  private pathOf(key: string): string {
    assertObjectKey(key);
    return path.join(this.root, key);
  }

  /** Folders known to exist: each is made once per process, not once per write. */
  private readonly folders = new Set<string>();
  private async folder(dir: string): Promise<void> {
    if (this.folders.has(dir)) return;
    const first = await mkdir(dir, { recursive: true });
    // Each folder made is synced into the one holding it, as the objects renamed into it are.
    if (first) for (let d = dir; d !== path.dirname(first); d = path.dirname(d)) await syncFolder(path.dirname(d));
    this.folders.add(dir);
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<number> {
    const target = this.pathOf(key);
    const tmpDir = path.join(this.root, TMP);
    await this.folder(tmpDir);
    const tmp = path.join(tmpDir, randomUUID());
    let size = 0;
    try {
      // One handle: written, flushed to disk (datasync), closed; then checked and renamed into place.
      const handle = await open(tmp, 'wx').catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        // The folder went away under us (removed by hand): made again.
        this.folders.clear();
        await this.folder(tmpDir);
        return open(tmp, 'wx');
      });
      try {
        const parts = partsOf(body);
        if (parts) {
          size = parts.reduce((n, p) => n + p.length, 0);
          if (options.maxBytes !== undefined && size > options.maxBytes) throw options.tooLarge?.() ?? new Error('object too large');
          // One gathered write: the parts are not copied into a new buffer first.
          await writeAllParts(handle, parts);
        } else
          for await (const chunk of body as Readable) {
            size += (chunk as Uint8Array).length;
            if (options.maxBytes !== undefined && size > options.maxBytes) throw options.tooLarge?.() ?? new Error('object too large');
            await writeAll(handle, chunk as Uint8Array);
          }
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await options.beforeCommit?.(size);
      await this.folder(path.dirname(target));
      await rename(tmp, target).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        this.folders.clear();
        await this.folder(path.dirname(target));
        await rename(tmp, target);
      });
      // The rename is durable once the folder is: without this a power cut could lose an object whose row was written.
      await syncFolder(path.dirname(target));
      return size;
    } catch (err) {
      if (!partsOf(body)) (body as Readable).destroy();
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.pathOf(key);
    // Opened before it is returned, so an absent object rejects here rather than on the first read.
    const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new ObjectNotFound(key) : err;
    });
    return createReadStream('', { fd: handle, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async local(key: string): Promise<LocalCopy> {
    const file = this.pathOf(key);
    await stat(file).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new ObjectNotFound(key) : err;
    });
    return { path: file, release: async () => {} };
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<string> {
    const walk = async function* (dir: string, rel: string): AsyncGenerator<string> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) yield* walk(path.join(dir, e.name), key);
        else yield key;
      }
    };
    const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    for await (const key of walk(dir ? this.pathOf(dir) : this.root, dir)) {
      if (!key.startsWith(prefix) || key.startsWith(`${TMP}/`)) continue;
      if (options.modifiedBefore !== undefined) {
        const info = await stat(path.join(this.root, key)).catch(() => null);
        if (!info || info.mtimeMs >= options.modifiedBefore) continue;
      }
      yield key;
    }
  }

  /** Temporary files a crash left behind (older than `olderThanMs`): removed by the daily cleanup. */
  async sweepTemporary(olderThanMs: number): Promise<number> {
    const dir = path.join(this.root, TMP);
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => null);
      if (info && Date.now() - info.mtimeMs > olderThanMs) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
