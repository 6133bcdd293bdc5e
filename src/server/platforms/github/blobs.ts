// Git's own object ids and the body of a blob upload, both streamed: a file is read once, a chunk at
// a time, and never held whole. Git names a blob by the SHA-1 of `blob {size}\0` followed by its
// bytes (https://git-scm.com/book/en/v2/Git-Internals-Git-Objects), which is not the plain SHA-1 of
// the bytes that DeployContext.readSha1s answers. POST /repos/{owner}/{repo}/git/blobs takes
// `{"content": …, "encoding": "base64"}` (https://docs.github.com/rest/git/blobs#create-a-blob), so
// the upload is that JSON with the base64 of the stream in the middle, its length known in advance.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StreamBody } from '../http';

/** The blob of an empty file (`git hash-object -t blob /dev/null`), e.g. `.nojekyll`. */
export const EMPTY_BLOB_SHA = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';

export interface HashedFile {
  /** Git's blob id of the bytes. */
  sha: string;
  /** The first `keepBytes` bytes as text, when asked for (pages scanned for absolute links). */
  text?: string;
}

/** Git's blob id of a stream of exactly `size` bytes; a stream of another length is an error (the store changed). */
export async function gitBlobSha(stream: Readable, size: number, keepBytes = 0): Promise<HashedFile> {
  const hash = createHash('sha1').update(`blob ${size}\0`);
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let seen = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(bytes);
    seen += bytes.length;
    if (keptBytes < keepBytes) {
      const part = bytes.subarray(0, keepBytes - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
  }
  if (seen !== size) throw new Error(`a stored file has ${seen} bytes where ${size} were expected`);
  return { sha: hash.digest('hex'), ...(keepBytes > 0 ? { text: Buffer.concat(kept).toString('utf8') } : {}) };
}

const PREFIX = Buffer.from('{"encoding":"base64","content":"');
const SUFFIX = Buffer.from('"}');

/** The JSON body of a blob upload, base64 streamed from `open()` (a fresh stream for each attempt). */
export function base64BlobBody(size: number, open: () => Promise<Readable>): StreamBody {
  return {
    length: PREFIX.length + 4 * Math.ceil(size / 3) + SUFFIX.length,
    open: async () => Readable.from(base64Json(await open())),
  };
}

async function* base64Json(source: Readable): AsyncGenerator<Buffer> {
  yield PREFIX;
  // Base64 maps 3 bytes to 4 characters: what does not fill a group of 3 waits for the next chunk.
  let carry: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of source as AsyncIterable<Buffer | string>) {
      const piece = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const bytes = carry.length ? Buffer.concat([carry, piece]) : piece;
      const whole = bytes.length - (bytes.length % 3);
      if (whole > 0) yield Buffer.from(bytes.subarray(0, whole).toString('base64'));
      carry = bytes.subarray(whole);
    }
  } finally {
    source.destroy();
  }
  if (carry.length) yield Buffer.from(carry.toString('base64'));
  yield SUFFIX;
}
