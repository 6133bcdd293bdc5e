// A blob store of this test file's own (its database is its own too: PGlite, or isolated-db.ts):
// with BLOB_STORE=fs (the default) a fresh temporary folder; with BLOB_STORE=s3 a fresh bucket, on
// the run's s3rver or on the S3_ENDPOINT given. Removed after the file.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, inject } from 'vitest';

export async function useOwnBlobStore(): Promise<void> {
  const kind = process.env.BLOB_STORE ?? 'fs';
  if (kind === 'fs') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huskit-blobs-'));
    process.env.BLOB_DIR = dir;
    afterAll(() => rm(dir, { recursive: true, force: true }));
    return;
  }
  if (kind !== 's3') return;
  const server = inject('s3Server');
  if (server) {
    process.env.S3_ENDPOINT = server.endpoint;
    process.env.S3_REGION = server.region;
    process.env.S3_ACCESS_KEY_ID = server.accessKeyId;
    process.env.S3_SECRET_ACCESS_KEY = server.secretAccessKey;
  }
  const { S3_ENDPOINT: endpoint, S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey } = process.env;
  if (!endpoint || !accessKeyId || !secretAccessKey)
    throw new Error('BLOB_STORE=s3 tests need S3_ENDPOINT and its keys, or no S3_ENDPOINT (then s3rver is started)');
  // Loaded only here: the fs runs need none of s3rver's modules.
  const { createBucket, deleteBucket } = await import('./s3-server');
  const connection = { endpoint: endpoint.replace(/\/+$/, ''), accessKeyId, secretAccessKey, region: process.env.S3_REGION ?? 'auto' };
  const bucket = `huskit-test-${randomUUID()}`.slice(0, 63);
  process.env.S3_BUCKET = bucket;
  await createBucket(connection, bucket);
  // s3rver's folder goes with it at the end of the run (and s3rver cannot page past 1000 keys on
  // Node >= 17: its continuation tokens use DES, which OpenSSL 3 no longer offers); another endpoint
  // is cleaned here.
  if (!server) afterAll(() => deleteBucket(connection, bucket));
}
