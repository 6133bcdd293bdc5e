// A site's scan before its deployment: each file not yet passed under these rules, small ones read whole a
// batch at a time, larger ones streamed; clean bytes are remembered in the store.
import type { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import type { Manifest } from '@/lib/site-files';
import { AppError } from '../../errors';
import { forEachConcurrently } from '../../platforms/concurrency';
import { readAll } from '../../storage/object-store';
import { scanStream } from './file-scan';
import { onThreads } from '../../threads/pool';
import { kindOf, scanMarkOf } from './kinds';
import { arrivedScansSettled } from './on-arrival';
import { SCAN_WINDOW } from './rules';

/** Where the scan reads bytes and remembers which blobs passed. */
export interface ScanStore {
  /** One blob's bytes as a stream (a fresh one each call). */
  open(sha256: string): Promise<Readable>;
  /** Those of `sha256s` that have not passed the scan under `mark` (the rules' version and the reading). */
  notPassedScan(sha256s: string[], mark: string): Promise<Set<string>>;
  markScanned(sha256s: string[], mark: string): Promise<void>;
}

/** Sites (manifest hashes) that passed the scan in this process lately, the last 1,000. */
const passedSites = new LRUCache<string, true>({ max: 1000 });

/**
 * The files under this manifest hash passed the scan (under this process's rules): a redeploy of the
 * site then scans only the files it changes. A pass depends on a file's bytes and its path's reading
 * only, so what the two share passed already.
 */
export function rememberSitePassed(manifestHash: string): void {
  passedSites.set(manifestHash, true);
}

/** Whether the files under this manifest hash passed the scan in this process lately. */
export const sitePassed = (manifestHash: string): boolean => passedSites.has(manifestHash);

/** Files up to this size are read whole: every reading of them fits in one window. */
const WHOLE_FILE_BYTES = SCAN_WINDOW.chars;

/** Small files read whole at once from the store, within the bytes of a batch. */
const READS = 8;
/** Small files read whole per batch: at most this many bytes (by declared size), and BATCH_FILES files. */
const BATCH_BYTES = 16 * 1024 * 1024;
const BATCH_FILES = 1000;

/**
 * Scans every file of the site a browser could run or render and that has not passed under these
 * rules; throws a 400 naming the rule and the file at the first hit. A hit depends on the bytes
 * only, so clean bytes are remembered. Files are read as streams: small ones whole (a batch at a
 * time), larger ones through the windows as they stream.
 */
export async function scanSite(manifest: Manifest, store: ScanStore): Promise<void> {
  // Each blob under each of the readings its paths give it; a pass is remembered per reading.
  const byReading = new Map<string, Map<string, string>>();
  for (const [path, e] of Object.entries(manifest)) {
    if (kindOf(path) === 'skip') continue;
    const mark = scanMarkOf(path);
    const shas = byReading.get(mark) ?? new Map<string, string>();
    if (!shas.has(e.sha256)) shas.set(e.sha256, path);
    byReading.set(mark, shas);
  }
  // Files scanned as they were uploaded (on-arrival.ts) and still being scanned here are waited for, not scanned twice.
  await arrivedScansSettled([...byReading].flatMap(([mark, shas]) => [...shas.keys()].map((sha): [string, string] => [sha, mark])));
  const pending: [sha: string, path: string, mark: string][] = [];
  // The readings looked up at once (each a query of its own).
  const lefts = await Promise.all([...byReading].map(([mark, shas]) => store.notPassedScan([...shas.keys()], mark)));
  for (const [i, [mark, shas]] of [...byReading].entries()) for (const [sha, path] of shas) if (lefts[i]!.has(sha)) pending.push([sha, path, mark]);
  const sizes = new Map(Object.values(manifest).map((e) => [e.sha256, e.size]));
  const whole = (sha: string) => (sizes.get(sha) ?? 0) <= WHOLE_FILE_BYTES;
  let batch: typeof pending = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const bytes = new Map<string, Buffer>();
    await forEachConcurrently(
      [...new Set(batch.filter(([sha]) => whole(sha)).map(([sha]) => sha))],
      READS,
      async (sha) => void bytes.set(sha, await readAll(await store.open(sha))),
    );
    // Files read whole are scanned together (on the worker threads when they are many); larger ones stream.
    const inMemory = batch.filter(([sha]) => bytes.has(sha));
    const found = await onThreads(
      'scan',
      inMemory.map(([sha, path]) => ({ path, bytes: bytes.get(sha)! })),
    );
    // `found` answers the in-memory files in batch order.
    let next = 0;
    for (const [sha, path] of batch) {
      const hit = bytes.has(sha) ? (found[next++] ?? null) : await scanStream(path, () => store.open(sha));
      if (hit)
        throw new AppError(
          'BAD_REQUEST',
          `This site can't be deployed: ${hit.path} contains ${hit.description} (rule "${hit.rule}"). Remove it and deploy again.`,
        );
    }
    for (const mark of new Set(batch.map(([, , m]) => m)))
      await store.markScanned(
        batch.filter(([, , m]) => m === mark).map(([sha]) => sha),
        mark,
      );
    batch = [];
    batchBytes = 0;
  };
  for (const entry of pending) {
    const size = whole(entry[0]) ? (sizes.get(entry[0]) ?? 0) : 0;
    if (batch.length >= BATCH_FILES || (batch.length > 0 && batchBytes + size > BATCH_BYTES)) await flush();
    batch.push(entry);
    batchBytes += size;
  }
  await flush();
}
