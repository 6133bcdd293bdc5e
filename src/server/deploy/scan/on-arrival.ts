// Quick deploys' files scanned as they arrive: negotiate says which files a quick deploy will upload
// and how each will be read, so each upload request's files go to the worker threads as soon as they are
// stored, while the browser is still sending the rest. Create then finds them passed (or waits for the
// scans still running here) instead of scanning the whole site at once. Only a cache warmed early: a
// pass is remembered for those bytes under that reading, exactly as create's own scan would remember
// it; a hit is not remembered, so create scans the file again and refuses it with its message.
import type { Manifest } from '@/lib/site-files';
import { describeError } from '../../http/json';
import { kindOf, scanMarkOf } from './kinds';
import { SCAN_WINDOW } from './rules';
import { onThreads } from '../../threads/pool';
import type { ScanStore } from './site-scan';

/** Where passes are remembered (the blob catalog), as for create's scan. */
type ScanMarks = Pick<ScanStore, 'notPassedScan' | 'markScanned'>;

interface Expected {
  /** Each expected blob's readings: one path for each. */
  readings: Map<string, { path: string; mark: string }[]>;
  until: number;
  /** What it holds, roughly, in bytes (its hashes, paths and marks). */
  cost: number;
}

/** How long after negotiate its uploads are scanned on arrival. */
const EXPECTED_MS = 15 * 60 * 1000;
/** What every negotiation's expectations may hold together, roughly in bytes (the oldest forgotten first). */
const EXPECTED_BYTES = 16 * 1024 * 1024;
/** Bytes being scanned on arrival at most; past it, files are left to create's scan (memory stays bounded). */
const IN_FLIGHT_BYTES = 32 * 1024 * 1024;
/** How long create waits for a scan on arrival before scanning itself (a stuck worker must not hold it). */
const SETTLE_WAIT_MS = 30_000;

/**
 * Process-wide, on globalThis as the database and the status hub are: negotiate (the tRPC route) and the
 * uploads (their own routes) may be separate bundles, and a dev server reloads modules.
 */
const state = ((globalThis as unknown as { __huskitScansOnArrival?: ArrivalState }).__huskitScansOnArrival ??= {
  expected: new Map(),
  expectedBytes: 0,
  inFlight: new Map(),
  inFlightBytes: 0,
});
interface ArrivalState {
  expected: Map<string, Expected>;
  expectedBytes: number;
  /** Scans running, by blob and mark: create waits for these instead of scanning the same bytes again. */
  inFlight: Map<string, Promise<void>>;
  inFlightBytes: number;
}
const { expected, inFlight } = state;

function forget(userId: string): void {
  state.expectedBytes -= expected.get(userId)?.cost ?? 0;
  expected.delete(userId);
}

const keyOf = (sha256: string, mark: string) => `${sha256}\t${mark}`;

/**
 * A quick deploy negotiated: the `missing` files it will upload are scanned as they arrive, each under
 * the readings its paths give it (files too large to scan whole are left to create, which streams them).
 */
export function expectUploads(userId: string, manifest: Manifest, missing: string[], now = Date.now()): void {
  const wanted = new Set(missing);
  const readings = new Map<string, { path: string; mark: string }[]>();
  let cost = 0;
  for (const [path, e] of Object.entries(manifest)) {
    if (!wanted.has(e.sha256) || e.size > SCAN_WINDOW.chars || kindOf(path) === 'skip') continue;
    const mark = scanMarkOf(path);
    const list = readings.get(e.sha256) ?? [];
    if (list.some((r) => r.mark === mark)) continue;
    if (list.length === 0) cost += 200;
    list.push({ path, mark });
    cost += 2 * path.length + 64;
    readings.set(e.sha256, list);
  }
  forget(userId);
  // The oldest first: those past their time, then as many as the new one needs room.
  for (const [user, exp] of expected) {
    if (exp.until >= now && state.expectedBytes + cost <= EXPECTED_BYTES) break;
    forget(user);
  }
  if (readings.size === 0 || cost > EXPECTED_BYTES) return;
  expected.set(userId, { readings, until: now + EXPECTED_MS, cost });
  state.expectedBytes += cost;
}

/**
 * Files the user just stored (checked against their hashes): those a negotiated quick deploy expects
 * are scanned in the background. Returns at once; never throws.
 */
export function scanOnArrival(userId: string, files: { sha256: string; bytes: Buffer }[], marks: ScanMarks, now = Date.now()): void {
  const exp = expected.get(userId);
  if (!exp) return;
  if (exp.until < now) return forget(userId);
  const todo: { sha256: string; path: string; mark: string; bytes: Buffer }[] = [];
  for (const f of files) {
    for (const r of exp.readings.get(f.sha256) ?? []) if (!inFlight.has(keyOf(f.sha256, r.mark))) todo.push({ ...r, sha256: f.sha256, bytes: f.bytes });
    exp.readings.delete(f.sha256);
  }
  if (exp.readings.size === 0) forget(userId);
  // What stays in memory until the scan is done: a small file is a view into the request's chunks.
  const bytes = [...new Set(todo.map((t) => t.bytes.buffer))].reduce((n, b) => n + b.byteLength, 0) + 256 * todo.length;
  if (todo.length === 0 || state.inFlightBytes + bytes > IN_FLIGHT_BYTES) return;
  state.inFlightBytes += bytes;
  const keys = todo.map((t) => keyOf(t.sha256, t.mark));
  const run = Promise.resolve()
    .then(async () => {
      // Bytes of this user's that passed under a reading before (an earlier deploy) are not read again.
      const notPassed = new Set<string>();
      for (const mark of new Set(todo.map((t) => t.mark))) {
        const ofMark = todo.filter((t) => t.mark === mark).map((t) => t.sha256);
        for (const sha256 of await marks.notPassedScan(ofMark, mark)) notPassed.add(keyOf(sha256, mark));
      }
      // In the order they came (the site's path order): each task to a worker mixes pages, scripts and styles.
      const left = todo.filter((t) => notPassed.has(keyOf(t.sha256, t.mark)));
      const hits = await onThreads(
        'scan',
        left.map((t) => ({ path: t.path, bytes: t.bytes })),
      );
      const clean = left.filter((_, i) => !hits[i]);
      for (const mark of new Set(clean.map((t) => t.mark)))
        await marks.markScanned(
          clean.filter((t) => t.mark === mark).map((t) => t.sha256),
          mark,
        );
    })
    .catch((err) => console.error('[scan] on arrival:', describeError(err)))
    .finally(() => {
      state.inFlightBytes -= bytes;
      for (const key of keys) inFlight.delete(key);
    });
  for (const key of keys) inFlight.set(key, run);
}

/** Waits for the scans on arrival of these blobs under these marks that are still running here. */
export async function arrivedScansSettled(pairs: Iterable<[sha256: string, mark: string]>): Promise<void> {
  const running = new Set<Promise<void>>();
  for (const [sha256, mark] of pairs) {
    const run = inFlight.get(keyOf(sha256, mark));
    if (run) running.add(run);
  }
  if (running.size === 0) return;
  // Bounded: the database still says what is left, so giving up only means scanning some files twice.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(running), new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_WAIT_MS).unref()))]);
  clearTimeout(timer);
}

/** Waits for every scan on arrival running here (tests; a server never needs to). */
export async function arrivedScansIdle(): Promise<void> {
  await Promise.all(new Set(inFlight.values()));
}
