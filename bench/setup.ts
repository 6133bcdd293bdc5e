// What the bench runs against, each started for the run and put away after it: a PostgreSQL database of
// its own (else PGlite), the blob store (a temp folder or s3rver), and bench/server.ts with the real routes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CloudConfig } from '@/emulator/config';
import type { RunningCloud } from '@/emulator/server';
import { bundleWorkerThread } from '@/testing/worker-thread-bundle';
import type { ServerStats } from './client';
import type { startSink } from './floors';

/** What every phase is given: the local cloud (and its config), the loopback sink of the floors, the idle server. */
export interface Stack {
  cloud: RunningCloud;
  config: CloudConfig;
  sink: Awaited<ReturnType<typeof startSink>>;
  /** The server at idle, before the first deploy. */
  stats0: ServerStats;
  /** `--quick`: smaller sites and fewer runs. */
  quick: boolean;
}

export let dbName: string | undefined;
export function createDatabase(): string | undefined {
  if (process.env.BENCH_PGLITE) return undefined;
  const name = `huskit_bench_${randomBytes(4).toString('hex')}`;
  try {
    execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
    dbName = name;
    return `postgres://postgres@127.0.0.1:5432/${name}`;
  } catch (err) {
    console.warn(`! No PostgreSQL (${(err as Error).message.split('\n')[0]}): falling back to PGlite in memory.`);
    return undefined;
  }
}
export function dropDatabase() {
  if (!dbName) return;
  try {
    execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-qc', `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`], { stdio: 'pipe' });
  } catch {
    /* best effort */
  }
}

/** The blob store the server is given, and how to put it away. */
export async function startBlobStore(store: 'fs' | 's3'): Promise<{ env: Record<string, string>; note: string; close: () => Promise<void> }> {
  if (store === 'fs') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huskit-bench-blobs-'));
    return { env: { BLOB_STORE: 'fs', BLOB_DIR: dir }, note: `fs (${dir})`, close: () => rm(dir, { recursive: true, force: true }) };
  }
  // Object storage is another machine in production: s3rver runs as a process of its own (its CPU reported beside the relay's).
  const s3rver = spawn(process.execPath, ['--import', 'tsx', 'bench/s3-server-cli.ts'], {
    env: { ...process.env, S3_BUCKET: 'huskit-bench' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  stopWithThisProcess(s3rver);
  helperPids.push(s3rver.pid!);
  const connection = JSON.parse((await printed(s3rver, /^S3 (.*)$/m))[1]!) as Record<string, string>;
  return {
    env: {
      BLOB_STORE: 's3',
      S3_ENDPOINT: connection.endpoint!,
      S3_REGION: connection.region!,
      S3_BUCKET: connection.bucket!,
      S3_ACCESS_KEY_ID: connection.accessKeyId!,
      S3_SECRET_ACCESS_KEY: connection.secretAccessKey!,
    },
    note: 's3 (s3rver behind its checking proxy, a process of its own)',
    close: () =>
      new Promise<void>((resolve) => {
        if (s3rver.exitCode !== null) return resolve();
        s3rver.once('exit', () => resolve());
        s3rver.kill('SIGTERM');
      }),
  };
}

export async function startServer(
  cloudPort: number,
  databaseUrl: string | undefined,
  blobEnv: Record<string, string>,
): Promise<{ base: string; child: ChildProcess }> {
  // The fan-out phase watches hundreds of deployments of the bench user at once: lift the per-user stream cap.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...blobEnv,
    CLOUD_PORT: String(cloudPort),
    NODE_ENV: 'development',
    MAX_SSE_STREAMS_PER_USER: '100000',
    BENCH_SERVER: '1',
  };
  let relay: ChildProcess | undefined;
  if (databaseUrl) {
    env.DATABASE_URL = databaseUrl;
    // Neon's WebSocket proxy is another machine in production: the development relay runs as a process
    // of its own, so that its work is not counted as the server's (CPU, memory).
    const token = randomBytes(24).toString('base64url');
    relay = spawn(process.execPath, ['--import', 'tsx', 'src/server/db/ws-relay-cli.ts'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, RELAY_PORT: '0', RELAY_TOKEN: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    env.NEON_WS_PROXY = `127.0.0.1:${(await printed(relay, /listening on 127\.0\.0\.1:(\d+)/))[1]}/${token}/v1`;
    helperPids.push(relay.pid!);
    stopWithThisProcess(relay);
  } else {
    delete env.DATABASE_URL;
    env.PGLITE_DATA_DIR = 'memory://bench';
  }
  // The worker threads as a built server runs them: bundled, not TypeScript loaded by tsx in each.
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), 'huskit-bench-worker-'));
  env.WORKER_THREAD_BUNDLE = bundleWorkerThread(bundleDir);
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/server.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  // At the bench's own exit: it does not wait for the server's after stopping it.
  process.once('exit', () => rmSync(bundleDir, { recursive: true, force: true }));
  child.once('exit', () => relay?.kill('SIGTERM'));
  stopWithThisProcess(child);
  const port = Number((await printed(child, /PORT (\d+)/))[1]);
  child.stdout!.on('data', (d: Buffer) => process.stdout.write(`[server] ${d}`));
  return { base: `http://127.0.0.1:${port}`, child };
}

/** The processes that stand for other machines of production: the database relay, the s3 store. */
const helperPids: number[] = [];

/** Child processes stopped when this one ends, however it ends: a crash, or a signal (Node's exit event does not run on one). */
const children = new Set<ChildProcess>();
function stopWithThisProcess(child: ChildProcess): void {
  if (children.size === 0) {
    process.once('exit', () => children.forEach((c) => c.kill('SIGTERM')));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(128 + os.constants.signals[signal]));
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** The CPU time the helper processes (relay, s3 store) have used (user + system), from /proc (in USER_HZ ticks, 100 a second on Linux). */
export function helperCpuMs(): number {
  let total = 0;
  for (const pid of helperPids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      /* gone */
    }
  }
  return total;
}

/** What a child process prints once it is ready (the first match of `pattern` in its output). */
function printed(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise<RegExpExecArray>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`${child.spawnargs.at(-1)} exited (${code}): ${out}`)));
  });
}
