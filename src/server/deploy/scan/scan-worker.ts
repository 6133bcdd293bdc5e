// A scan worker thread (scan-pool.ts): scans the files it is sent and answers each one's first hit.
import { parentPort } from 'node:worker_threads';
import { scanBytes } from './file-scan';
import type { ScanHit } from './hits';

export interface ScanRequest {
  id: number;
  files: { path: string; bytes: Uint8Array }[];
}
export type ScanAnswer = { id: number; hits: (ScanHit | null)[] } | { id: number; error: string };

parentPort?.on('message', ({ id, files }: ScanRequest) => {
  let answer: ScanAnswer;
  try {
    // Bytes arrive as a plain Uint8Array: a Buffer over the same memory, not a copy.
    answer = { id, hits: files.map((f) => scanBytes(f.path, Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength))) };
  } catch (err) {
    answer = { id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  parentPort!.postMessage(answer);
});
