// multipart/form-data, parsed by the platform's own parser (undici, behind Request.formData()),
// which keeps each part's whole Content-Type (parameters such as charset included).
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { CloudflareError } from './envelope';

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export async function readMultipart(req: IncomingMessage, onBytes: (n: number) => void, limits: { maxBytes: number }): Promise<Part[]> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data;\s*boundary=/i.test(type)) throw new CloudflareError(400, 10001, 'Expected a multipart/form-data body.');
  let total = 0;
  const counted = (Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        onBytes(chunk.byteLength);
        if (total > limits.maxBytes) controller.error(new CloudflareError(413, 10027, 'The request is too large.'));
        else controller.enqueue(chunk);
      },
    }),
  );
  let form: FormData;
  try {
    form = await new Request('http://multipart.local/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: counted,
      duplex: 'half',
    } as RequestInit).formData();
  } catch (err) {
    if (err instanceof CloudflareError) throw err;
    if ((err as { cause?: unknown }).cause instanceof CloudflareError) throw (err as { cause: CloudflareError }).cause;
    throw new CloudflareError(400, 10001, `Malformed multipart body: ${(err as Error).message}`);
  }
  const parts: Part[] = [];
  for (const [name, value] of form) {
    if (typeof value === 'string') parts.push({ name, data: Buffer.from(value, 'utf8') });
    else parts.push({ name, filename: value.name, contentType: value.type || undefined, data: Buffer.from(await value.arrayBuffer()) });
  }
  return parts;
}
