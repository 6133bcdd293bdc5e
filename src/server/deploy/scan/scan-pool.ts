// Files scanned on worker threads, one per core: the scan is pure CPU (a 50 MB site is seconds of it), and
// on the main thread it would hold up every request the process serves. Small amounts are scanned in
// place, where a message to a worker would cost more than it saves; if workers cannot start, in place too.
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { getEnv } from '../../env';
import { scanBytes } from './file-scan';
import type { ScanHit } from './hits';
import type { ScanAnswer, ScanRequest } from './scan-worker';

export interface FileToScan {
  path: string;
  bytes: Buffer;
}

/**
 * Below this many bytes a batch is scanned in place. A message to a running worker costs well under
 * a millisecond, and pages scan at a few MB/s, so past a few pages a batch is worth the message: a
 * bench profile of a 50 MB upload found batches of pages under 1 MB taking ~300 ms of the main thread.
 */
export const WORKER_MIN_BYTES = 64 * 1024;
/**
 * Workers are started only for a batch this large: starting them costs tens of milliseconds and a heap
 * each, more than a small site's scan in place (the next large batch starts them).
 */
export const WORKER_START_BYTES = 1024 * 1024;
/** What one message to a worker carries at most: enough to be worth the message, small enough to share out. */
const TASK_BYTES = 512 * 1024;
/** How long the scan in place holds the event loop before letting waiting requests run. */
const SLICE_MS = 20;
/** Workers left idle this long are stopped: each holds a heap of its own. */
const IDLE_STOP_MS = 60_000;

/**
 * Run from the sources (tests, the bench, the CLIs), the worker is TypeScript, loaded by tsx in the worker,
 * or a bundle of it named by SCAN_WORKER_BUNDLE (testing/scan-worker-bundle.ts). Under Next (`next dev`,
 * `next start`, Vercel) the bundler has made it an entry of its own; there `import.meta.url` still
 * names the source file, so NEXT_RUNTIME is what tells the two apart.
 */
const FROM_SOURCES = !process.env.NEXT_RUNTIME;

function startWorker(): Worker {
  if (FROM_SOURCES) {
    // A bundle of the worker the runner of the sources made, as the build makes one (the bench does).
    if (process.env.SCAN_WORKER_BUNDLE) return new Worker(process.env.SCAN_WORKER_BUNDLE);
    // A worker does not inherit the loader hooks of `--import tsx` (Node 20): it loads tsx itself.
    const entry = JSON.stringify(import.meta.url.replace(/scan-pool\.ts$/, 'scan-worker.ts'));
    return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${entry}, ${entry}))`, { eval: true });
  }
  // Written out in the call, as bundlers look for it, so that the build makes the worker its own entry.
  return new Worker(new URL('./scan-worker.ts', import.meta.url));
}

/** In place, letting other work run between files. */
async function scanInPlace(files: FileToScan[]): Promise<(ScanHit | null)[]> {
  const hits: (ScanHit | null)[] = [];
  let sliceStart = performance.now();
  for (const f of files) {
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToEvents();
      sliceStart = performance.now();
    }
    hits.push(scanBytes(f.path, f.bytes));
  }
  return hits;
}

/** Files in tasks of about TASK_BYTES, in order. */
function tasksOf(files: FileToScan[]): FileToScan[][] {
  const tasks: FileToScan[][] = [];
  let current: FileToScan[] = [];
  let size = 0;
  for (const f of files) {
    if (current.length > 0 && size + f.bytes.length > TASK_BYTES) {
      tasks.push(current);
      current = [];
      size = 0;
    }
    current.push(f);
    size += f.bytes.length;
  }
  if (current.length) tasks.push(current);
  return tasks;
}

class Lane {
  readonly worker = startWorker();
  private readonly pending = new Map<number, { resolve: (hits: (ScanHit | null)[]) => void; reject: (err: Error) => void }>();
  private nextId = 0;

  constructor(onGone: (lane: Lane) => void) {
    // An idle worker does not keep the process alive.
    this.worker.unref();
    this.worker.on('message', (answer: ScanAnswer) => {
      const task = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('error' in answer) task?.reject(new Error(`scan worker: ${answer.error}`));
      else task?.resolve(answer.hits);
    });
    const gone = (err: Error) => {
      for (const task of this.pending.values()) task.reject(err);
      this.pending.clear();
      onGone(this);
    };
    this.worker.on('error', gone);
    this.worker.on('exit', (code) => gone(new Error(`scan worker exited (${code})`)));
  }

  scan(files: FileToScan[]): Promise<(ScanHit | null)[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      // One buffer the worker is given, not views into the upload's chunks: a view is cloned with the whole
      // buffer under it, once per message that names it (a profile found ~400 ms of the main thread in it).
      const bytes = new Uint8Array(files.reduce((n, f) => n + f.bytes.length, 0));
      const ends = new Uint32Array(files.length);
      let at = 0;
      files.forEach((f, i) => {
        bytes.set(f.bytes, at);
        ends[i] = at += f.bytes.length;
      });
      const request: ScanRequest = { id, paths: files.map((f) => f.path), ends, bytes };
      this.worker.postMessage(request, [bytes.buffer, ends.buffer]);
    });
  }
}

/** A pool of `size` scan workers (0: everything in place), started at the first large scan. */
export class ScanPool {
  private lanes: Lane[] = [];
  private active = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private broken = false;

  constructor(readonly size: number) {}

  /** Tasks handed to workers so far. */
  tasksSent = 0;

  /** Workers running now. */
  get running(): number {
    return this.lanes.length;
  }

  /** Each file's first hit (null: clean), in the order given: on the workers when there is enough to scan. */
  async scan(files: FileToScan[]): Promise<(ScanHit | null)[]> {
    const bytes = files.reduce((n, f) => n + f.bytes.length, 0);
    if (bytes < WORKER_MIN_BYTES || (this.lanes.length === 0 && bytes < WORKER_START_BYTES) || this.size === 0 || this.broken) return scanInPlace(files);
    clearTimeout(this.idleTimer);
    this.active++;
    try {
      if (this.lanes.length < this.size) {
        while (this.lanes.length < this.size) this.lanes.push(new Lane((lane) => (this.lanes = this.lanes.filter((l) => l !== lane))));
        console.info(`Scan workers started: ${this.size} (SCAN_WORKERS).`);
      }
      const tasks = tasksOf(files);
      const results: (ScanHit | null)[][] = new Array(tasks.length);
      // Each worker takes the next task when it is done with its last: the cores stay busy to the end.
      let next = 0;
      const work = async (lane: Lane) => {
        while (next < tasks.length) {
          const index = next++;
          this.tasksSent++;
          results[index] = await lane.scan(tasks[index]!);
        }
      };
      await Promise.all(this.lanes.map(work));
      return results.flat();
    } catch (err) {
      // A worker that could not start or died: this batch is scanned in place, and so is every later
      // one if none is left running (a worker that cannot load will not load the next time either).
      if (this.lanes.length === 0 && !this.broken) {
        this.broken = true;
        console.error(`Scan workers unavailable (${(err as Error).message.split('\n')[0]}): quick deploys are scanned on the main thread.`);
      }
      return scanInPlace(files);
    } finally {
      if (--this.active === 0) {
        this.idleTimer = setTimeout(() => void this.stop(), IDLE_STOP_MS);
        this.idleTimer.unref();
      }
    }
  }

  /** Stops the workers (they start again at the next large scan). */
  async stop(): Promise<void> {
    clearTimeout(this.idleTimer);
    const lanes = this.lanes;
    this.lanes = [];
    await Promise.all(lanes.map((l) => l.worker.terminate()));
  }
}

let processPool: ScanPool | undefined;

/** Each file's first hit (null: clean), in order, on this process's pool (SCAN_WORKERS). */
export function scanFiles(files: FileToScan[]): Promise<(ScanHit | null)[]> {
  processPool ??= new ScanPool(getEnv().scanWorkers);
  return processPool.scan(files);
}
