import { AppError } from '../errors';

/** Reads a binary body of at most `maxBytes` (application/octet-stream). */
export async function readBinaryBody(request: Request, maxBytes: number): Promise<Buffer> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/octet-stream\s*(;|$)/i.test(type))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file bytes with Content-Type: application/octet-stream.');
  return readBodyWithLimit(request, maxBytes, () => tooLarge(maxBytes));
}

/**
 * Many files in one request (multipart/form-data, at most `maxBytes` in all): each part is one file,
 * named by its SHA-256. The size is enforced before anything is parsed.
 */
export async function readMultipartFiles(request: Request, maxBytes: number): Promise<{ name: string; bytes: Buffer }[]> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the files as multipart/form-data, one part per file named by its SHA-256.');
  const body = await readBodyWithLimit(request, maxBytes, () => tooLarge(maxBytes));
  let form: FormData;
  try {
    form = await new Response(body as Uint8Array<ArrayBuffer>, { headers: { 'content-type': type } }).formData();
  } catch {
    throw new AppError('BAD_REQUEST', 'The multipart body could not be read. Send one part per file, named by its SHA-256.');
  }
  const files: { name: string; bytes: Buffer }[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') throw new AppError('BAD_REQUEST', `The part "${name.slice(0, 80)}" is not a file. Send each file as a file part.`);
    files.push({ name, bytes: Buffer.from(await value.arrayBuffer()) });
  }
  return files;
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
