// Request bodies read under a limit: refused as soon as they pass it, whether the client declared the
// length or not, and never read further.
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { readAll } from '../storage/object-store';

/** The body as a stream, failing with `tooLargeError()` once it passes `maxBytes` (declared or sent). */
export function boundedBody(request: Request, maxBytes: number, tooLargeError: () => Error): Readable {
  if (Number(request.headers.get('content-length') ?? NaN) > maxBytes) throw tooLargeError();
  const body = request.body ? Readable.fromWeb(request.body as unknown as WebReadableStream<Uint8Array>) : Readable.from([]);
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen <= maxBytes) return done(null, chunk);
      body.destroy(); // the rest is not read
      done(tooLargeError());
    },
  });
  body.once('error', (err) => counter.destroy(err));
  return body.pipe(counter);
}

/** The whole body, under the same limit. */
export async function readBodyWithLimit(request: Request, maxBytes: number, tooLargeError: () => Error): Promise<Buffer> {
  return readAll(boundedBody(request, maxBytes, tooLargeError));
}
