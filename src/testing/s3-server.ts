// An S3-compatible server for tests, in-process: s3rver on a port of its own (127.0.0.1, port 0, read
// back) over a temporary folder, behind the proxy that checks signatures, payload hashes and
// Content-Length as S3 does (s3rver checks none of them).
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { S3Connection } from '@/server/storage/s3-request';
import { S3Client } from '@/server/storage/s3-request';
import { S3ObjectStore } from '@/server/storage/s3-store';
import { startS3CheckingProxy, type RecordedS3Request } from './s3-checking-proxy';

/**
 * The only key pair s3rver knows (lib/models/account.js registers it for its one dummy account); it
 * answers any other access key id with InvalidAccessKeyId.
 */
export const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const REGION = 'us-east-1';

export interface S3TestServer {
  connection: S3Connection;
  /** Every request the checking proxy received, in order. */
  requests: RecordedS3Request[];
  close(): Promise<void>;
}

export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'huskit-s3rver-'));
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = (await s3rver.run()) as AddressInfo;
  const proxy = await startS3CheckingProxy(`http://127.0.0.1:${port}`, { region: REGION, ...S3RVER_KEYS });
  return {
    connection: { endpoint: proxy.endpoint, region: REGION, ...S3RVER_KEYS },
    requests: proxy.requests,
    close: async () => {
      await proxy.close();
      await s3rver.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A signed PUT Bucket (no body: Content-Length 0). */
export async function createBucket(connection: S3Connection, bucket: string): Promise<void> {
  const response = await new S3Client(connection).send({ what: `PUT bucket ${bucket}`, method: 'PUT', path: `/${bucket}`, accept: [200] });
  response.resume();
}

/** Empties the bucket, then deletes it (S3 deletes only empty buckets). */
export async function deleteBucket(connection: S3Connection, bucket: string): Promise<void> {
  const store = new S3ObjectStore({ ...connection, bucket });
  for await (const key of store.list('')) await store.delete(key);
  const response = await new S3Client(connection).send({ what: `DELETE bucket ${bucket}`, method: 'DELETE', path: `/${bucket}`, accept: [204, 404] });
  response.resume();
}
