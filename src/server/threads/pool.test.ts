// Files' CPU work on worker threads: real workers (the module loaded from the sources, as in production from
// the build) give each file the same answer as the job in place (the scan's hit, the zip's deflated
// bytes), and a worker lost mid-job costs no answer.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { benignCorpus, hostileCorpus } from '@/testing/scan-corpus';
import { bundleWorkerThread } from '@/testing/worker-thread-bundle';
import { scanBytes } from '../deploy/scan/file-scan';
import type { FileBytes } from './jobs';
import { ThreadPool, WORKER_MIN_BYTES, WORKER_START_BYTES } from './pool';

/** The whole corpus as one batch (each file under its path in its site), padded past the size workers take. */
function corpusFiles(): FileBytes[] {
  const files: FileBytes[] = [];
  for (const entry of [...hostileCorpus(), ...benignCorpus()]) for (const [path, bytes] of Object.entries(entry.files)) files.push({ path, bytes });
  for (let i = 0; files.reduce((n, f) => n + f.bytes.length, 0) < 3 * 1024 * 1024; i++)
    files.push({ path: `pad/${i}.html`, bytes: Buffer.from(`<!doctype html><p>${'plain words '.repeat(4000)}</p><script>let n = ${i};</script>`) });
  return files;
}

const inPlace = (files: FileBytes[]) => files.map((f) => scanBytes(f.path, f.bytes));
const pools: ThreadPool[] = [];
const newPool = (size: number) => pools[pools.push(new ThreadPool(size)) - 1]!;
afterAll(async () => {
  for (const pool of pools) await pool.stop();
});

describe('the scan on worker threads', () => {
  const files = corpusFiles();
  const expected = inPlace(files);

  it('scans a large batch on its workers, each file with the answer the scan in place gives', async () => {
    expect(expected.filter(Boolean).length).toBeGreaterThanOrEqual(hostileCorpus().length);
    const pool = newPool(2);
    expect(await pool.run('scan', files)).toEqual(expected);
    expect(pool.running).toBe(2);
    // Again, on the running workers.
    expect(await pool.run('scan', [...files].reverse())).toEqual([...expected].reverse());
    await pool.stop();
    expect(pool.running).toBe(0);
  });

  it('runs a bundle of the worker (as the build makes one) when one is named, with the same answers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huskit-thread-bundle-'));
    process.env.WORKER_THREAD_BUNDLE = bundleWorkerThread(dir);
    try {
      const pool = newPool(2);
      expect(await pool.run('scan', files)).toEqual(expected);
      expect(pool.running).toBe(2);
      // Its workers are that file's: one that cannot load stops the pool's workers for good (then in place).
      await pool.stop();
      process.env.WORKER_THREAD_BUNDLE = path.join(dir, 'missing.mjs');
      const broken = newPool(2);
      expect(await broken.run('scan', files)).toEqual(expected);
      expect(broken.running).toBe(0);
      // The next jobs start no worker and send none a task: they are done in place.
      const sent = broken.tasksSent;
      expect(await broken.run('scan', files)).toEqual(expected);
      expect(await broken.run('deflate', files)).toHaveLength(files.length);
      expect(broken.tasksSent).toBe(sent);
      expect(broken.running).toBe(0);
    } finally {
      delete process.env.WORKER_THREAD_BUNDLE;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scans a small batch in place, starting no worker', async () => {
    const pool = newPool(2);
    const few = files.slice(0, 20);
    expect(few.reduce((n, f) => n + f.bytes.length, 0)).toBeLessThan(WORKER_MIN_BYTES);
    expect(await pool.run('scan', few)).toEqual(expected.slice(0, 20));
    expect(pool.running).toBe(0);
  });

  it('starts no worker for a batch under a megabyte, but gives one of a few pages to the workers running', async () => {
    const pool = newPool(2);
    const size = (batch: FileBytes[]) => batch.reduce((n, f) => n + f.bytes.length, 0);
    // A few pages: past what is scanned in place once workers run, short of what starts them.
    const pages = files.filter((f) => f.path.startsWith('pad/')).slice(0, 8);
    expect(size(pages)).toBeGreaterThanOrEqual(WORKER_MIN_BYTES);
    expect(size(pages)).toBeLessThan(WORKER_START_BYTES);
    const answers = pages.map((p) => expected[files.indexOf(p)]);
    expect(await pool.run('scan', pages)).toEqual(answers);
    expect(pool.running).toBe(0);
    // A large batch starts them; the same few pages then go to them.
    expect(await pool.run('scan', files)).toEqual(expected);
    expect(pool.running).toBe(2);
    const sent = pool.tasksSent;
    expect(await pool.run('scan', pages)).toEqual(answers);
    expect(pool.tasksSent).toBeGreaterThan(sent);
  });

  it('answers every file when its workers are stopped mid-scan, and starts them again for the next scan', async () => {
    const pool = newPool(2);
    const scanning = pool.run('scan', files);
    await pool.stop();
    expect(await scanning).toEqual(expected);
    const sent = pool.tasksSent;
    expect(await pool.run('scan', files)).toEqual(expected);
    expect(pool.running).toBe(2);
    expect(pool.tasksSent).toBeGreaterThan(sent);
  });
});

describe('the deflate on worker threads', () => {
  // Pages and scripts as a zip holds them: text that deflates, and one file of random bytes that does not.
  const files: FileBytes[] = [];
  for (let i = 0; files.reduce((n, f) => n + f.bytes.length, 0) < 2 * 1024 * 1024; i++)
    files.push({ path: `p/${i}.html`, bytes: Buffer.from(`<p>page ${i}</p>\n`.repeat(20 + (i % 50) * 40)) });
  files.push({ path: 'empty.txt', bytes: Buffer.alloc(0) }, { path: 'noise.bin', bytes: randomBytes(3000) });

  it('answers each file deflated as zlib deflates it in place, with its CRC-32, on the workers', async () => {
    const pool = newPool(2);
    const answers = await pool.run('deflate', files);
    expect(pool.running).toBe(2);
    expect(pool.tasksSent).toBeGreaterThan(1);
    expect(answers).toHaveLength(files.length);
    answers.forEach((a, i) => {
      const f = files[i]!;
      expect(zlib.inflateRawSync(a.data).equals(f.bytes), f.path).toBe(true);
      expect(a.data.equals(zlib.deflateRawSync(f.bytes)), f.path).toBe(true);
      expect(a.crc, f.path).toBe(zlib.crc32(f.bytes));
    });
    // In place (no worker): the same answers.
    const inPlace = newPool(0);
    expect(await inPlace.run('deflate', files)).toEqual(answers);
  });

  it('starts the workers for a batch that is part of a large job, and shares batches sent at once between them', async () => {
    const pool = newPool(2);
    const batch = files.slice(0, 40);
    const size = batch.reduce((n, f) => n + f.bytes.length, 0);
    expect(size).toBeGreaterThanOrEqual(WORKER_MIN_BYTES);
    expect(size).toBeLessThan(WORKER_START_BYTES);
    await pool.run('deflate', batch);
    expect(pool.running).toBe(0);
    // Two batches of a 5 MB zip, sent together: one to each worker.
    const both = Promise.all([pool.run('deflate', batch, { whole: 5_000_000 }), pool.run('deflate', batch, { whole: 5_000_000 })]);
    expect(pool.running).toBe(2);
    expect(pool.busy).toBe(2);
    const [first, second] = await both;
    expect(second).toEqual(first);
    expect(first.map((a) => zlib.inflateRawSync(a.data).toString())).toEqual(batch.map((f) => f.bytes.toString()));
  });
});
