// One contract, both backends: what the rest of the service may rely on from an ObjectStore, checked
// on a folder and on S3 (s3rver, started here behind its checking proxy, so this runs for S3 even
// when the rest of the suite runs on the fs store).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open as openFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodiesWithoutContentLength, type RecordedS3Request } from '@/testing/s3-checking-proxy';
import { createBucket, startS3Server } from '@/testing/s3-server';
import { FsObjectStore } from './fs-store';
import { ObjectNotFound, type ObjectStore } from './object-store';
import { S3ObjectStore } from './s3-store';

interface OpenBackend {
  store: ObjectStore;
  /** Files a write left behind outside the store (fs: its .tmp folder; s3: the spool folder). */
  temporaryFiles(): Promise<string[]>;
  /** What the S3 endpoint received, for the wire checks. */
  requests?: RecordedS3Request[];
  close(): Promise<void>;
}

const backends: { name: string; open(): Promise<OpenBackend> }[] = [
  {
    name: 'fs',
    async open() {
      const root = await mkdtemp(path.join(os.tmpdir(), 'huskit-contract-fs-'));
      return {
        store: new FsObjectStore(root),
        temporaryFiles: () => readdir(path.join(root, '.tmp')).catch(() => []),
        close: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3',
    async open() {
      const server = await startS3Server();
      const spoolDir = await mkdtemp(path.join(os.tmpdir(), 'huskit-contract-spool-'));
      await createBucket(server.connection, 'contract');
      return {
        // No budget for local copies: a copy of what was stored (s3-store.test.ts) goes as soon as it is
        // free, so any file left in the spool folder is one a put or a read failed to remove.
        store: new S3ObjectStore({ ...server.connection, bucket: 'contract' }, { spoolDir, localCopyBytes: 0 }),
        temporaryFiles: () => readdir(spoolDir),
        requests: server.requests,
        close: async () => {
          await server.close();
          await rm(spoolDir, { recursive: true, force: true });
        },
      };
    },
  },
];

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys.sort();
}

/** `bytes` as a stream of `chunkSize` pieces, as a request body arrives. */
function streamOf(bytes: Buffer, chunkSize = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

/** A source that gives `bytes` and then fails, as a client that disconnects mid-upload. */
function failingAfter(bytes: Buffer, error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield bytes;
      throw error;
    })(),
  );
}

/** `bytes` as parts of uneven sizes, every fifth one empty (the first too), as a pack's files. */
function splitIntoParts(bytes: Buffer, count = 7): Uint8Array[] {
  const parts: Uint8Array[] = [bytes.subarray(0, 0)];
  for (let at = 0, i = 1; at < bytes.length; i++) {
    if (i % 5 === 0) {
      parts.push(bytes.subarray(at, at));
      continue;
    }
    const end = i >= count ? bytes.length : Math.min(bytes.length, at + Math.ceil((bytes.length / count) * (i % 3 === 0 ? 0.5 : 1.2)));
    parts.push(bytes.subarray(at, end));
    at = end;
  }
  return parts;
}

const bodies = {
  bytes: (b: Buffer): Uint8Array => new Uint8Array(b),
  stream: (b: Buffer): Readable => streamOf(b),
  parts: (b: Buffer): Uint8Array[] => splitIntoParts(b),
};

describe.each(backends)('ObjectStore contract: $name', (backend) => {
  let open: OpenBackend;
  let store: ObjectStore;
  beforeAll(async () => {
    open = await backend.open();
    store = open.store;
  });
  afterAll(() => open?.close());

  it('puts, sizes, gets, lists and deletes', async () => {
    expect(await store.put('basic/a/one', new Uint8Array(Buffer.from('first object')))).toBe(12);
    expect(await store.put('basic/a/two', streamOf(Buffer.from('second')))).toBe(6);
    await store.put('basic/b/three', Buffer.from('third'));

    expect(await store.size('basic/a/one')).toBe(12);
    expect((await readAll(await store.get('basic/a/one'))).toString()).toBe('first object');
    expect((await readAll(await store.get('basic/a/two'))).toString()).toBe('second');
    expect(await keysUnder(store, 'basic/a/')).toEqual(['basic/a/one', 'basic/a/two']);
    expect(await keysUnder(store, 'basic/')).toEqual(['basic/a/one', 'basic/a/two', 'basic/b/three']);
    expect(await keysUnder(store, 'basic/a/t')).toEqual(['basic/a/two']);

    await store.delete('basic/a/one');
    expect(await store.size('basic/a/one')).toBeNull();
    await expect(store.get('basic/a/one')).rejects.toBeInstanceOf(ObjectNotFound);
    expect(await keysUnder(store, 'basic/')).toEqual(['basic/a/two', 'basic/b/three']);
  });

  it('lists only the keys last written before a time, when asked (what a crash left, not what is being written)', async () => {
    const before = Date.now() - 60_000;
    await store.put('dated/a', Buffer.from('a'));
    const listed = async (modifiedBefore: number) => {
      const keys: string[] = [];
      for await (const key of store.list('dated/', { modifiedBefore })) keys.push(key);
      return keys;
    };
    expect(await listed(Date.now() + 60_000)).toEqual(['dated/a']);
    expect(await listed(before)).toEqual([]);
  });

  it('replaces an object put again under the same key', async () => {
    await store.put('replace/x', Buffer.from('a longer first version'));
    expect(await store.put('replace/x', streamOf(Buffer.from('short')))).toBe(5);
    expect(await store.size('replace/x')).toBe(5);
    expect((await readAll(await store.get('replace/x'))).toString()).toBe('short');
    expect(await keysUnder(store, 'replace/')).toEqual(['replace/x']);
  });

  it('gets an inclusive range', async () => {
    await store.put('range/x', Buffer.from('0123456789'));
    expect((await readAll(await store.get('range/x', { start: 2, end: 5 }))).toString()).toBe('2345');
    expect((await readAll(await store.get('range/x', { start: 0, end: 1 }))).toString()).toBe('01');
    expect((await readAll(await store.get('range/x', { start: 9, end: 9 }))).toString()).toBe('9');
  });

  it('answers an absent key: get rejects ObjectNotFound, size is null, delete is done', async () => {
    const missing = store.get('absent/nothing');
    await expect(missing).rejects.toBeInstanceOf(ObjectNotFound);
    await expect(missing).rejects.toMatchObject({ key: 'absent/nothing' });
    expect(await store.size('absent/nothing')).toBeNull();
    await expect(store.delete('absent/nothing')).resolves.toBeUndefined();
    expect(await keysUnder(store, 'absent/')).toEqual([]);
  });

  it('refuses keys that are not ours, on every backend alike', async () => {
    for (const key of ['../escape', '/absolute', 'a//b', 'a/./b', 'with space'])
      await expect(store.put(key, Buffer.from('x')), key).rejects.toThrow(/bad object key/);
  });

  it.each(Object.keys(bodies) as (keyof typeof bodies)[])('stores nothing when beforeCommit throws (%s body)', async (kind) => {
    const refused = new Error('hash mismatch');
    const seen: number[] = [];
    const beforeCommit = (size: number) => {
      seen.push(size);
      throw refused;
    };
    await expect(store.put(`refused-${kind}/x`, bodies[kind](Buffer.from('not what was promised')), { beforeCommit })).rejects.toBe(refused);
    expect(seen).toEqual([21]);
    expect(await store.size(`refused-${kind}/x`)).toBeNull();
    expect(await keysUnder(store, `refused-${kind}/`)).toEqual([]);
    expect(await open.temporaryFiles()).toEqual([]);

    // Over an existing object, the old one stays whole.
    await store.put(`refused-${kind}/y`, Buffer.from('old'));
    await expect(store.put(`refused-${kind}/y`, bodies[kind](Buffer.from('new bytes')), { beforeCommit })).rejects.toBe(refused);
    expect((await readAll(await store.get(`refused-${kind}/y`))).toString()).toBe('old');
    expect(await open.temporaryFiles()).toEqual([]);
  });

  it.each(Object.keys(bodies) as (keyof typeof bodies)[])('stores nothing past maxBytes (%s body)', async (kind) => {
    const tooLarge = () => new Error('over the limit');
    await expect(store.put(`limit-${kind}/x`, bodies[kind](randomBytes(200_000)), { maxBytes: 100_000, tooLarge })).rejects.toThrow('over the limit');
    expect(await store.size(`limit-${kind}/x`)).toBeNull();
    expect(await keysUnder(store, `limit-${kind}/`)).toEqual([]);
    expect(await open.temporaryFiles()).toEqual([]);
    // Exactly the limit is allowed.
    expect(await store.put(`limit-${kind}/y`, bodies[kind](randomBytes(100_000)), { maxBytes: 100_000, tooLarge })).toBe(100_000);
  });

  it('leaves nothing under the key when the source fails mid-write', async () => {
    const cut = new Error('client went away');
    await expect(store.put('crash/x', failingAfter(randomBytes(1024 * 1024), cut))).rejects.toBe(cut);
    expect(await store.size('crash/x')).toBeNull();
    expect(await keysUnder(store, 'crash/')).toEqual([]);
    expect(await open.temporaryFiles()).toEqual([]);

    await store.put('crash/y', Buffer.from('whole'));
    await expect(store.put('crash/y', failingAfter(randomBytes(1024 * 1024), cut))).rejects.toBe(cut);
    expect((await readAll(await store.get('crash/y'))).toString()).toBe('whole');
  });

  it('gives an object as a local file for reads at offsets, leaving nothing behind once released and deleted', async () => {
    const bytes = randomBytes(200_000);
    await store.put('local/x', bytes);
    const copy = await store.local('local/x');
    const handle = await openFile(copy.path, 'r');
    await copy.release();
    // Released before it is read: the open handle still reads every byte.
    const back = Buffer.alloc(1000);
    await handle.read(back, 0, 1000, 150_000);
    await handle.close();
    expect(back.equals(bytes.subarray(150_000, 151_000))).toBe(true);
    expect((await readAll(await store.get('local/x'))).equals(bytes)).toBe(true);
    // A copy may be kept for the next reader (S3); deleting the object takes it away.
    await store.delete('local/x');
    expect(await open.temporaryFiles()).toEqual([]);
    await expect(store.local('local/none')).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('lets concurrent puts of the same bytes under one key both succeed, the object whole', async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const sizes = await Promise.all([
      store.put('concurrent/x', streamOf(bytes)),
      store.put('concurrent/x', streamOf(bytes, 10_000)),
      store.put('concurrent/x', new Uint8Array(bytes)),
    ]);
    expect(sizes).toEqual([bytes.length, bytes.length, bytes.length]);
    expect((await readAll(await store.get('concurrent/x'))).equals(bytes)).toBe(true);
    expect(await keysUnder(store, 'concurrent/')).toEqual(['concurrent/x']);
  });

  it('stores a list of parts as their concatenation, byte for byte, however many parts', async () => {
    const bytes = randomBytes(300_000);
    expect(await store.put('parts/x', splitIntoParts(bytes))).toBe(bytes.length);
    expect((await readAll(await store.get('parts/x'))).equals(bytes)).toBe(true);
    // More parts than one gathered write takes (1,024), some empty (one at the 1,025th).
    const many = splitIntoParts(bytes, 2500);
    expect(many.length).toBeGreaterThan(2048);
    expect(many[1025]!.length).toBe(0);
    // Only empty parts: an empty object.
    expect(await store.put('parts/empty', [new Uint8Array(0), new Uint8Array(0)])).toBe(0);
    expect(await store.size('parts/empty')).toBe(0);
    expect(await store.put('parts/many', many)).toBe(bytes.length);
    expect(await store.size('parts/many')).toBe(bytes.length);
    expect((await readAll(await store.get('parts/many'))).equals(bytes)).toBe(true);
    expect(await open.temporaryFiles()).toEqual([]);
  });

  it('round-trips a large streamed object byte for byte', async () => {
    const bytes = randomBytes(12 * 1024 * 1024);
    expect(await store.put('large/x', streamOf(bytes))).toBe(bytes.length);
    expect(await store.size('large/x')).toBe(bytes.length);
    const back = await readAll(await store.get('large/x'));
    expect(back.length).toBe(bytes.length);
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(back.equals(bytes)).toBe(true);
    const tail = await readAll(await store.get('large/x', { start: bytes.length - 1000, end: bytes.length - 1 }));
    expect(tail.equals(bytes.subarray(bytes.length - 1000))).toBe(true);
  });

  // Last, so it sees every request the tests above made (S3 only: a folder has no wire).
  if (backend.name === 's3')
    it('sent every body with its Content-Length, never chunked, and S3 refused nothing', () => {
      const requests = open.requests!;
      const withBodies = requests.filter((r) => r.bodyBytes > 0);
      // Not vacuous: the large object and the others went through the proxy.
      expect(withBodies.some((r) => r.method === 'PUT' && r.bodyBytes === 12 * 1024 * 1024)).toBe(true);
      expect(bodiesWithoutContentLength(requests)).toEqual([]);
      // Every signature and payload hash verified (the proxy refuses what S3 would).
      expect(requests.filter((r) => r.refused)).toEqual([]);
      // A refused or failed put never reached the store.
      expect(requests.filter((r) => r.method === 'PUT' && /\/(refused|limit|crash)-?\w*\/x$/.test(r.path))).toEqual([]);
    });
});
