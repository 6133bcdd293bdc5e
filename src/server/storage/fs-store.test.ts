// The folder store's own writes: a write that takes fewer bytes than given (a disk filling up) is
// continued, and one that takes none fails the put, leaving nothing under the key. The streamed path
// hashes the bytes as they pass, so an object cut short on disk would pass its check (the contract
// suite covers the rest, on both stores).
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FsObjectStore } from './fs-store';
import { readAll } from './object-store';

let root: string;
let handleProto: { write: (...args: unknown[]) => Promise<{ bytesWritten: number }> };
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'huskit-fs-store-test-'));
  const handle = await open(path.join(root, 'probe'), 'w');
  handleProto = Object.getPrototypeOf(handle) as typeof handleProto;
  await handle.close();
});
afterAll(() => rm(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** The next write of a handle takes `take(length)` bytes of what it is given (the rest is left to the caller). */
function shortenNextWrite(take: (length: number) => number) {
  const write = handleProto.write;
  vi.spyOn(handleProto, 'write').mockImplementationOnce(function (this: unknown, buffer: unknown, offset?: unknown, length?: unknown) {
    const bytes = buffer as Uint8Array;
    const from = typeof offset === 'number' ? offset : 0;
    const len = typeof length === 'number' ? length : bytes.length - from;
    return write.call(this, bytes, from, take(len));
  });
}

describe('the folder store writing a streamed body', () => {
  it('continues a write the disk took only part of: the object is whole', async () => {
    const store = new FsObjectStore(root);
    shortenNextWrite((n) => n - 1);
    const bytes = Buffer.from('hello, whole object');
    expect(await store.put('packs/short-write', Readable.from([bytes]))).toBe(bytes.length);
    expect(await store.size('packs/short-write')).toBe(bytes.length);
    expect((await readAll(await store.get('packs/short-write'))).equals(bytes)).toBe(true);
  });

  it('fails the put on a write that takes nothing, and leaves nothing under the key', async () => {
    const store = new FsObjectStore(root);
    shortenNextWrite(() => 0);
    await expect(store.put('packs/no-write', Readable.from([Buffer.from('bytes')]))).rejects.toThrow(/Short write/);
    expect(await store.size('packs/no-write')).toBeNull();
  });
});
