// The store the configuration names is this test file's own (blob-store-per-file.ts): a fresh folder,
// or with BLOB_STORE=s3 a fresh bucket, empty when the file starts.
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from './fs-store';
import { getObjectStore } from './from-env';

describe('getObjectStore in tests', () => {
  it('is the configured kind, empty, and this file’s own', async () => {
    const store = getObjectStore();
    expect(store.kind).toBe(process.env.BLOB_STORE ?? 'fs');
    if (store instanceof FsObjectStore) expect(path.relative(os.tmpdir(), store.root)).toMatch(/^huskit-blobs-/);
    else expect(process.env.S3_BUCKET).toMatch(/^huskit-test-/);

    const keys: string[] = [];
    for await (const key of store.list('')) keys.push(key);
    expect(keys).toEqual([]);

    await store.put('blobs/ab/abc', Buffer.from('bytes'));
    expect(await store.size('blobs/ab/abc')).toBe(5);
    expect(getObjectStore()).toBe(store);
  });
});
