// Vitest globalSetup: with BLOB_STORE=s3 and no S3_ENDPOINT, one s3rver (behind its checking proxy)
// serves the whole run (workers find it with inject('s3Server')). With DATABASE_URL, whose database
// every test file shares, the run's one blob store is made here too (inject('sharedBlobStore')):
// a folder, or a bucket; see blob-store-per-file.ts.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { S3Connection } from '@/server/storage/s3-request';
import { SPOOL_PREFIX } from '../server/storage/spool-dir';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's s3rver, when this setup started one. */
    s3Server: S3Connection | undefined;
    /** The environment naming the run's shared store (BLOB_DIR, or S3_* and S3_BUCKET), with DATABASE_URL. */
    sharedBlobStore: Record<string, string> | undefined;
  }
}

export default async function startBlobStores(project: TestProject) {
  const closing: (() => Promise<void>)[] = [];
  const kind = process.env.BLOB_STORE === 's3' ? 's3' : 'fs';
  project.provide('s3Server', undefined);
  let connection: S3Connection | undefined;
  if (kind === 's3') {
    if (process.env.S3_ENDPOINT) {
      const { S3_ENDPOINT: endpoint, S3_ACCESS_KEY_ID: accessKeyId = '', S3_SECRET_ACCESS_KEY: secretAccessKey = '' } = process.env;
      connection = { endpoint: endpoint.replace(/\/+$/, ''), accessKeyId, secretAccessKey, region: process.env.S3_REGION ?? 'auto' };
    } else {
      // Loaded only here: a run on the fs store needs none of s3rver's modules.
      const { startS3Server } = await import('./s3-server');
      const server = await startS3Server();
      project.provide('s3Server', server.connection);
      connection = server.connection;
      closing.push(() => server.close());
    }
  }
  project.provide('sharedBlobStore', undefined);
  if (process.env.DATABASE_URL) {
    if (kind === 'fs') {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'huskit-blobs-run-'));
      project.provide('sharedBlobStore', { BLOB_DIR: dir });
      closing.push(() => rm(dir, { recursive: true, force: true }));
    } else if (connection) {
      const { createBucket, deleteBucket } = await import('./s3-server');
      const bucket = `huskit-run-${randomUUID()}`.slice(0, 63);
      await createBucket(connection, bucket);
      const c = connection;
      project.provide('sharedBlobStore', {
        S3_ENDPOINT: c.endpoint,
        S3_REGION: c.region,
        S3_ACCESS_KEY_ID: c.accessKeyId,
        S3_SECRET_ACCESS_KEY: c.secretAccessKey,
        S3_BUCKET: bucket,
      });
      // s3rver takes its buckets with it; another endpoint's is removed.
      if (process.env.S3_ENDPOINT) closing.push(() => deleteBucket(c, bucket));
    }
  }
  // The spool folders of the run's workers: the pool ends them without their exit hooks, which would
  // remove them (a server removes such folders once untouched for an hour; a test run does not wait).
  const startedAt = Date.now();
  closing.push(() => removeSpoolsOfEndedWorkers(startedAt));
  return async () => {
    for (const close of closing.reverse()) await close();
  };
}

async function removeSpoolsOfEndedWorkers(since: number): Promise<void> {
  const base = os.tmpdir();
  for (const name of await readdir(base).catch(() => [] as string[])) {
    const pid = Number(new RegExp(`^${SPOOL_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!pid || alive(pid)) continue;
    const folder = path.join(base, name);
    const made = await stat(folder).catch(() => null);
    if (made && made.mtimeMs >= since) await rm(folder, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
