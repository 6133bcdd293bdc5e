import { AppError } from '../errors';

/** Reads a binary body of at most `maxBytes` (application/octet-stream). */
export async function readBinaryBody(request: Request, maxBytes: number): Promise<Buffer> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/octet-stream\s*(;|$)/i.test(type))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file bytes with Content-Type: application/octet-stream.');
  return readBodyWithLimit(request, maxBytes, () => tooLarge(maxBytes));
}

/** The whole body, refused with `tooLargeError()` as soon as it passes `maxBytes` (declared or sent). */
export async function readBodyWithLimit(request: Request, maxBytes: number, tooLargeError: () => Error): Promise<Buffer> {
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) throw tooLargeError();
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw tooLargeError();
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}

const tooLarge = (maxBytes: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `Send at most ${maxBytes / 1024 / 1024} MB per request; split larger files with ?offset=…&total=….`);
