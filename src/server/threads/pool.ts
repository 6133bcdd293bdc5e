// Files' CPU work on worker threads, one per core: the content scan, the zip's deflate. Both are pure CPU
// (a 50 MB site is seconds of it), and on the main thread they would hold up every request the process
// serves. Small amounts are done in place, where a message to a worker would cost more than it saves;
// if workers cannot start, in place too.
import { Worker } from 'node:worker_threads';
import { getEnv } from '../env';
import { joinBuffers, jobs, type AnswerOf, type FileBytes, type JobName } from './jobs';
import type { JobRequest, WorkerMessage } from './worker';

/**
 * Below this many bytes a batch is done in place. A message to a running worker costs well under
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
/** Workers left idle this long are stopped: each holds a heap of its own. */
const IDLE_STOP_MS = 60_000;

/**
 * Run from the sources (tests, the bench, the CLIs), the worker is TypeScript, loaded by tsx in the worker,
 * or a bundle of it named by WORKER_THREAD_BUNDLE (testing/worker-thread-bundle.ts). Under Next (`next dev`,
 * `next start`, Vercel) the bundler has made it an entry of its own; there `import.meta.url` still
 * names the source file, so NEXT_RUNTIME is what tells the two apart.
 */
const FROM_SOURCES = !process.env.NEXT_RUNTIME;

function startWorker(): Worker {
  if (FROM_SOURCES) {
    // A bundle of the worker the runner of the sources made, as the build makes one (the bench does).
    if (process.env.WORKER_THREAD_BUNDLE) return new Worker(process.env.WORKER_THREAD_BUNDLE);
    // A worker does not inherit the loader hooks of `--import tsx` (Node 20): it loads tsx itself.
    const entry = JSON.stringify(import.meta.url.replace(/pool\.ts$/, 'worker.ts'));
    return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${entry}, ${entry}))`, { eval: true });
  }
  // Written out in the call, as bundlers look for it, so that the build makes the worker its own entry.
  return new Worker(new URL('./worker.ts', import.meta.url));
}

/** Files in tasks of about TASK_BYTES, in order. */
function tasksOf(files: FileBytes[]): FileBytes[][] {
  const tasks: FileBytes[][] = [];
  let current: FileBytes[] = [];
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

type LaneEnd = { kind: 'stopped' } | { kind: 'died' | 'failed-to-load'; reason: string };

class Lane {
  readonly worker = startWorker();
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private loaded = false;
  private stopping = false;
  private ended = false;

  /** Tasks sent and not answered yet. */
  get load(): number {
    return this.pending.size;
  }

  /** `onGone` learns how the worker ended: stopped, unable to load (it ended before it ran, unasked), or at work. */
  constructor(onGone: (lane: Lane, end: LaneEnd) => void) {
    // An idle worker does not keep the process alive.
    this.worker.unref();
    this.worker.on('message', (reply: WorkerMessage) => {
      if ('loaded' in reply) return void (this.loaded = true);
      const task = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('error' in reply) task?.reject(new Error(`worker thread: ${reply.error}`));
      else task?.resolve(reply.value);
    });
    // An error is followed by an exit: the first one tells.
    const gone = (err: Error) => {
      for (const task of this.pending.values()) task.reject(err);
      this.pending.clear();
      if (this.ended) return;
      this.ended = true;
      onGone(this, this.stopping ? { kind: 'stopped' } : { kind: this.loaded ? 'died' : 'failed-to-load', reason: err.message.split('\n')[0]! });
    };
    this.worker.on('error', gone);
    this.worker.on('exit', (code) => gone(new Error(`worker thread exited (${code})`)));
  }

  stop(): Promise<number> {
    this.stopping = true;
    return this.worker.terminate();
  }

  run<J extends JobName>(job: J, files: FileBytes[]): Promise<AnswerOf<J>[]> {
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      // One buffer the worker is given, not views into the upload's chunks: a view is cloned with the whole
      // buffer under it, once per message that names it (a profile found ~400 ms of the main thread in it).
      const { bytes, ends } = joinBuffers(files.map((f) => f.bytes));
      const request: JobRequest = { id, job, paths: files.map((f) => f.path), ends, bytes };
      this.worker.postMessage(request, [bytes.buffer, ends.buffer]);
    }).then((value) => jobs[job].received(value) as AnswerOf<J>[]);
  }
}

/** A pool of `size` worker threads (0: everything in place), started at the first large job. */
export class ThreadPool {
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

  /** Workers with a task now. */
  get busy(): number {
    return this.lanes.filter((l) => l.load > 0).length;
  }

  /**
   * The job's answer for each file, in the order given: on the workers when there is enough to do.
   * `whole` is the size of the work this batch is part of (a zip sent in batches): it starts the workers
   * as one large batch would.
   */
  async run<J extends JobName>(job: J, files: FileBytes[], { whole }: { whole?: number } = {}): Promise<AnswerOf<J>[]> {
    const inPlace = () => jobs[job].inPlace(files) as Promise<AnswerOf<J>[]>;
    const bytes = files.reduce((n, f) => n + f.bytes.length, 0);
    const starts = Math.max(bytes, whole ?? 0) >= WORKER_START_BYTES;
    if (bytes < WORKER_MIN_BYTES || (this.lanes.length === 0 && !starts) || this.size === 0 || this.broken) return inPlace();
    clearTimeout(this.idleTimer);
    this.active++;
    const tasks = tasksOf(files);
    // Each worker takes the next task when it is done with its last: the cores stay busy to the end.
    let next = 0;
    try {
      if (this.lanes.length < this.size) {
        while (this.lanes.length < this.size) this.lanes.push(new Lane(this.laneGone));
        console.info(`Worker threads started: ${this.size} (WORKER_THREADS).`);
      }
      const results: AnswerOf<J>[][] = new Array(tasks.length);
      const work = async (lane: Lane) => {
        while (next < tasks.length) {
          const index = next++;
          this.tasksSent++;
          results[index] = await lane.run(job, tasks[index]!);
        }
      };
      // The least busy first: batches sent one task at a time (a zip's) go to the idle workers.
      await Promise.all([...this.lanes].sort((a, b) => a.load - b.load).map(work));
      return results.flat();
    } catch {
      // A worker died or could not load: the other workers take no more of this batch, which is done in
      // place (laneGone said why).
      next = tasks.length;
      return inPlace();
    } finally {
      if (--this.active === 0) {
        this.idleTimer = setTimeout(() => void this.stop(), IDLE_STOP_MS);
        this.idleTimer.unref();
      }
    }
  }

  /**
   * A worker ended. One that never ran, unasked, could not load: it will not load the next time either,
   * so from now on every job is done in place. One that died at work is replaced at the next job.
   */
  private readonly laneGone = (lane: Lane, end: LaneEnd) => {
    this.lanes = this.lanes.filter((l) => l !== lane);
    if (end.kind === 'died') console.error(`[threads] a worker thread ended at work (${end.reason}): its batch is done on the main thread.`);
    if (end.kind !== 'failed-to-load' || this.broken) return;
    this.broken = true;
    console.error(`Worker threads unavailable (${end.reason}): files are scanned and deflated on the main thread.`);
  };

  /** Stops the workers (they start again at the next large job). */
  async stop(): Promise<void> {
    clearTimeout(this.idleTimer);
    const lanes = this.lanes;
    this.lanes = [];
    await Promise.all(lanes.map((l) => l.stop()));
  }
}

let processPool: ThreadPool | undefined;

/** This process's pool: WORKER_THREADS workers. */
export function processThreadPool(): ThreadPool {
  return (processPool ??= new ThreadPool(getEnv().workerThreads));
}

/** The job's answer for each file, in order, on this process's pool. */
export function onThreads<J extends JobName>(job: J, files: FileBytes[], options?: { whole?: number }): Promise<AnswerOf<J>[]> {
  return processThreadPool().run(job, files, options);
}
