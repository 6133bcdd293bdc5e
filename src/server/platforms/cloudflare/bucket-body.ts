// One bucket of a Workers Static Assets upload as the multipart body Cloudflare takes (as wrangler
// sends it: cloudflare/workers-sdk packages/deploy-helpers): every file base64-encoded as it streams,
// the body's exact length known before its first byte, so no bucket is ever whole in memory.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StreamBody } from '../http';
import { JoinedWrites } from '../joined-writes';

/** One file of an upload bucket: its asset hash, size, type, and its bytes as a fresh stream each call. */
export interface BucketFile {
  hash: string;
  size: number;
  contentType: string;
  open(): Promise<Readable>;
}

/** Base64 text of `n` bytes: 4 characters for each 3 bytes begun. */
const base64Length = (n: number) => 4 * Math.ceil(n / 3);

/** Encodes a stream as base64 as it comes, carrying the 0–2 bytes that do not yet make a group of 3. */
async function* base64Of(stream: Readable): AsyncGenerator<string> {
  let carry = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 3);
    if (whole > 0) yield bytes.toString('base64', 0, whole);
    carry = Buffer.from(bytes.subarray(whole));
  }
  if (carry.length) yield carry.toString('base64');
}

/**
 * Files opened ahead of the one being sent, so that a store's latency per file does not add up over
 * hundreds of small files: a few, and a few MB at most (the one after the current file is always opened).
 */
const READ_AHEAD_FILES = 8;
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

/**
 * One bucket as the multipart/form-data body the assets upload takes, byte for byte what fetch makes
 * of a FormData holding one Blob per file (named and filenamed by its hash, its type, the base64 text
 * as content), as wrangler sends it. Built as it is sent, file after file, each base64-encoded on the
 * way, so no bucket is ever whole in memory; its exact length is known before the first byte.
 */
export function bucketBody(
  files: BucketFile[],
  boundary = `----formdata-huskit-${randomBytes(12).toString('hex')}`,
): { contentType: string; body: StreamBody } {
  // A Blob's type is kept lower-cased; the boundary's dashes never occur in base64 or a hex hash.
  const heads = files.map((f) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${f.hash}"; filename="${f.hash}"\r\nContent-Type: ${f.contentType.toLowerCase()}\r\n\r\n`,
    ),
  );
  const lineEnd = Buffer.from('\r\n');
  const closing = Buffer.from(`--${boundary}--\r\n`);
  const length = files.reduce((n, f, i) => n + heads[i]!.length + base64Length(f.size) + lineEnd.length, closing.length);
  async function* parts(): AsyncGenerator<Buffer> {
    const ahead: Promise<Readable>[] = [];
    let aheadBytes = 0;
    let next = 0;
    const readAhead = () => {
      while (next < files.length && ahead.length < READ_AHEAD_FILES && (ahead.length === 0 || aheadBytes + files[next]!.size <= READ_AHEAD_BYTES)) {
        const opening = files[next]!.open();
        // Awaited in its turn; until then a failure must not count as unhandled.
        opening.catch(() => {});
        ahead.push(opening);
        aheadBytes += files[next++]!.size;
      }
    };
    const out = new JoinedWrites();
    try {
      readAhead();
      for (const [i, file] of files.entries()) {
        const stream = await ahead.shift()!;
        aheadBytes -= file.size;
        readAhead();
        yield* out.add(heads[i]!);
        for await (const text of base64Of(stream)) yield* out.add(text);
        yield* out.add(lineEnd);
      }
      yield* out.add(closing);
      yield* out.end();
    } finally {
      // A body given up (a failed attempt) lets go of the files it had opened ahead.
      for (const opening of ahead)
        opening.then(
          (stream) => stream.destroy(),
          () => {},
        );
    }
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: { length, open: () => Readable.from(parts()) } };
}
