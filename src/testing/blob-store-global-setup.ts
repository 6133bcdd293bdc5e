// Vitest globalSetup: with BLOB_STORE=s3 and no S3_ENDPOINT, one s3rver (behind its checking proxy)
// serves the whole run; workers find it with inject('s3Server') and make a bucket per test file.
import type { TestProject } from 'vitest/node';
import type { S3Connection } from '@/server/storage/s3-request';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's s3rver, when this setup started one. */
    s3Server: S3Connection | undefined;
  }
}

export default async function startBlobStoreServer(project: TestProject) {
  if (process.env.BLOB_STORE !== 's3' || process.env.S3_ENDPOINT) return;
  // Loaded only here: a run on the fs store needs none of s3rver's modules.
  const { startS3Server } = await import('./s3-server');
  const server = await startS3Server();
  project.provide('s3Server', server.connection);
  return () => server.close();
}
