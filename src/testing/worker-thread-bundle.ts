// The worker thread as one JavaScript file, made with esbuild as `next build` makes it an entry of its own.
// Run from the sources, a worker otherwise loads tsx to read TypeScript: ~45 MB a worker against ~20
// as a bundle. The bench's server uses one (WORKER_THREAD_BUNDLE), so its memory is a built server's.
import { buildSync } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../server/threads/worker.ts', import.meta.url));

/** Bundles the worker and its packages into `dir`; answers the file's path. */
export function bundleWorkerThread(dir: string): string {
  const outfile = path.join(dir, 'worker-thread.mjs');
  buildSync({ entryPoints: [ENTRY], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
  return outfile;
}
