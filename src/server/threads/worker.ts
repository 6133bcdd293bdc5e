// A worker thread of the pool (pool.ts): runs the job it is sent on the files it is sent, answering one message.
import { parentPort } from 'node:worker_threads';
import { jobs, splitBuffers, type JobName } from './jobs';

export interface JobRequest {
  id: number;
  job: JobName;
  paths: string[];
  /** Where each file ends in `bytes` (each starts where the one before ends). */
  ends: Uint32Array;
  bytes: Uint8Array;
}
export type JobReply = { id: number; value: unknown } | { id: number; error: string };
/** What a worker posts: its replies, and once, that its code loaded (a worker that ends before it could not load). */
export type WorkerMessage = JobReply | { loaded: true };

parentPort?.on('message', ({ id, job, paths, ends, bytes }: JobRequest) => {
  try {
    const files = splitBuffers(bytes, ends);
    const { value, transfer } = jobs[job].onThread(paths.map((path, i) => ({ path, bytes: files[i]! })));
    parentPort!.postMessage({ id, value } satisfies JobReply, transfer);
  } catch (err) {
    parentPort!.postMessage({ id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies JobReply);
  }
});

// Every import above has loaded.
parentPort?.postMessage({ loaded: true } satisfies WorkerMessage);
