// The bench's S3-compatible store as a process of its own: s3rver behind the proxy that checks requests
// as S3 does (src/testing/s3-server.ts), with one bucket. Object storage is another machine in
// production, so its work is kept out of the bench process (the client and the local cloud) and
// reported on its own. Prints `S3 <connection as JSON>` once it listens; stops on SIGTERM.
import { createBucket, startS3Server } from '../src/testing/s3-server';

const bucket = process.env.S3_BUCKET ?? 'huskit-bench';
const s3 = await startS3Server();
await createBucket(s3.connection, bucket);
console.log(`S3 ${JSON.stringify({ ...s3.connection, bucket })}`);
const stop = () => void s3.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
