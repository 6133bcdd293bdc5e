// The store the configuration names follows the database (blob-store-per-file.ts): with DATABASE_URL,
// which every test file shares, the run's one store; without it, this file's own, empty when the
// file starts (a fresh folder, or with BLOB_STORE=s3 a fresh bucket).
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from './fs-store';
import { getObjectStore } from './from-env';

const shared = Boolean(process.env.DATABASE_URL);

describe('getObjectStore in tests', () => {
  it(`is the configured kind and ${shared ? "the run's shared store" : 'this file’s own, empty'}`, async () => {
    const store = getObjectStore();
    expect(store.kind).toBe(process.env.BLOB_STORE ?? 'fs');
    if (store instanceof FsObjectStore) expect(path.relative(os.tmpdir(), store.root)).toMatch(shared ? /^huskit-blobs-run-/ : /^huskit-blobs-(?!run-)/);
    else expect(process.env.S3_BUCKET).toMatch(shared ? /^huskit-run-/ : /^huskit-test-/);

    if (!shared) {
      const keys: string[] = [];
      for await (const key of store.list('')) keys.push(key);
      expect(keys).toEqual([]);
    }

    const key = `blobs/ab/abc-${Math.random().toString(36).slice(2)}`;
    await store.put(key, Buffer.from('bytes'));
    expect(await store.size(key)).toBe(5);
    expect(getObjectStore()).toBe(store);
  });
});
