// The scan on worker threads: real workers (the module loaded from the sources, as in production from the
// build) give each file the same answer as the scan in place, and a worker lost mid-scan costs no answer.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benignCorpus, hostileCorpus } from '@/testing/scan-corpus';
import { bundleScanWorker } from '@/testing/scan-worker-bundle';
import { scanBytes } from './file-scan';
import { ScanPool, WORKER_MIN_BYTES, WORKER_START_BYTES, type FileToScan } from './scan-pool';

/** The whole corpus as one batch (each file under its path in its site), padded past the size workers take. */
function corpusFiles(): FileToScan[] {
  const files: FileToScan[] = [];
  for (const entry of [...hostileCorpus(), ...benignCorpus()]) for (const [path, bytes] of Object.entries(entry.files)) files.push({ path, bytes });
  for (let i = 0; files.reduce((n, f) => n + f.bytes.length, 0) < 3 * 1024 * 1024; i++)
    files.push({ path: `pad/${i}.html`, bytes: Buffer.from(`<!doctype html><p>${'plain words '.repeat(4000)}</p><script>let n = ${i};</script>`) });
  return files;
}

const inPlace = (files: FileToScan[]) => files.map((f) => scanBytes(f.path, f.bytes));
const pools: ScanPool[] = [];
const newPool = (size: number) => pools[pools.push(new ScanPool(size)) - 1]!;
afterAll(async () => {
  for (const pool of pools) await pool.stop();
});

describe('the scan pool', () => {
  const files = corpusFiles();
  const expected = inPlace(files);

  it('scans a large batch on its workers, each file with the answer the scan in place gives', async () => {
    expect(expected.filter(Boolean).length).toBeGreaterThanOrEqual(hostileCorpus().length);
    const pool = newPool(2);
    expect(await pool.scan(files)).toEqual(expected);
    expect(pool.running).toBe(2);
    // Again, on the running workers.
    expect(await pool.scan([...files].reverse())).toEqual([...expected].reverse());
    await pool.stop();
    expect(pool.running).toBe(0);
  });

  it('runs a bundle of the worker (as the build makes one) when one is named, with the same answers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huskit-scan-bundle-'));
    process.env.SCAN_WORKER_BUNDLE = bundleScanWorker(dir);
    try {
      const pool = newPool(2);
      expect(await pool.scan(files)).toEqual(expected);
      expect(pool.running).toBe(2);
      // Its workers are that file's: one that cannot load stops the pool's workers for good (then in place).
      await pool.stop();
      process.env.SCAN_WORKER_BUNDLE = path.join(dir, 'missing.mjs');
      const broken = newPool(2);
      expect(await broken.scan(files)).toEqual(expected);
      expect(broken.running).toBe(0);
    } finally {
      delete process.env.SCAN_WORKER_BUNDLE;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scans a small batch in place, starting no worker', async () => {
    const pool = newPool(2);
    const few = files.slice(0, 20);
    expect(few.reduce((n, f) => n + f.bytes.length, 0)).toBeLessThan(WORKER_MIN_BYTES);
    expect(await pool.scan(few)).toEqual(expected.slice(0, 20));
    expect(pool.running).toBe(0);
  });

  it('starts no worker for a batch under a megabyte, but gives one of a few pages to the workers running', async () => {
    const pool = newPool(2);
    const size = (batch: FileToScan[]) => batch.reduce((n, f) => n + f.bytes.length, 0);
    // A few pages: past what is scanned in place once workers run, short of what starts them.
    const pages = files.filter((f) => f.path.startsWith('pad/')).slice(0, 8);
    expect(size(pages)).toBeGreaterThanOrEqual(WORKER_MIN_BYTES);
    expect(size(pages)).toBeLessThan(WORKER_START_BYTES);
    const answers = pages.map((p) => expected[files.indexOf(p)]);
    expect(await pool.scan(pages)).toEqual(answers);
    expect(pool.running).toBe(0);
    // A large batch starts them; the same few pages then go to them.
    expect(await pool.scan(files)).toEqual(expected);
    expect(pool.running).toBe(2);
    const sent = pool.tasksSent;
    expect(await pool.scan(pages)).toEqual(answers);
    expect(pool.tasksSent).toBeGreaterThan(sent);
  });

  it('answers every file when its workers are stopped mid-scan, and scans in place from then on', async () => {
    const pool = newPool(2);
    const scanning = pool.scan(files);
    await pool.stop();
    expect(await scanning).toEqual(expected);
    expect(await pool.scan(files)).toEqual(expected);
    expect(pool.running).toBe(0);
  });
});
