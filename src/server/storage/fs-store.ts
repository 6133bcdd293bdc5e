// Objects as files under one folder. A write goes to a temporary file beside its place, is fsynced,
// checked, then renamed into place: rename is atomic on one filesystem, so a crash never leaves a
// half-written object under its key (only a temporary file, which `sweepTemporary` removes).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { assertObjectKey, ObjectNotFound, type ObjectStore, type PutOptions } from './object-store';

const TMP = '.tmp';

export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;
  constructor(readonly root: string) {}

  private pathOf(key: string): string {
    assertObjectKey(key);
    return path.join(this.root, key);
  }

  async put(key: string, body: Readable | Uint8Array, options: PutOptions = {}): Promise<number> {
    const target = this.pathOf(key);
    const tmpDir = path.join(this.root, TMP);
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${randomUUID()}`);
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (options.maxBytes !== undefined && size > options.maxBytes) done(options.tooLarge?.() ?? new Error('object too large'));
        else done(null, chunk);
      },
    });
    try {
      const source = body instanceof Uint8Array ? Readable.from([body]) : body;
      await pipeline(source, counter, createWriteStream(tmp, { flags: 'wx' }));
      const handle = await open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await options.beforeCommit?.(size);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(tmp, target);
      return size;
    } catch (err) {
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

  async *list(prefix: string): AsyncIterable<string> {
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
    for await (const key of walk(dir ? this.pathOf(dir) : this.root, dir)) if (key.startsWith(prefix) && !key.startsWith(`${TMP}/`)) yield key;
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
