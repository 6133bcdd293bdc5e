// A scan worker thread (scan-pool.ts): scans the files it is sent and answers each one's first hit.
import { parentPort } from 'node:worker_threads';
import { scanBytes } from './file-scan';
import type { ScanHit } from './hits';

export interface ScanRequest {
  id: number;
  paths: string[];
  /** Where each file ends in `bytes` (each starts where the one before ends). */
  ends: Uint32Array;
  bytes: Uint8Array;
}
export type ScanAnswer = { id: number; hits: (ScanHit | null)[] } | { id: number; error: string };

parentPort?.on('message', ({ id, paths, ends, bytes }: ScanRequest) => {
  let answer: ScanAnswer;
  try {
    // Buffers over the one transferred buffer, not copies.
    const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    answer = { id, hits: paths.map((path, i) => scanBytes(path, all.subarray(i === 0 ? 0 : ends[i - 1], ends[i]))) };
  } catch (err) {
    answer = { id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  parentPort!.postMessage(answer);
});
