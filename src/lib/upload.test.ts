import { describe, expect, it } from 'vitest';
import { batchBody, sha256Hex, type HashedFile } from './upload';

const file = async (path: string, bytes: Uint8Array): Promise<HashedFile> => ({ path, bytes, sha256: await sha256Hex(bytes) });

describe('a batch as one multipart body', () => {
  it('reads back, by a standard parser, as the FormData of one Blob per file would: names, filenames, type and bytes', async () => {
    const tricky = new TextEncoder().encode('--\r\n--boundary\r\n\r\nContent-Disposition: x\r\n');
    const binary = Uint8Array.from({ length: 3000 }, (_, i) => (i * 37) % 256);
    const batch = await Promise.all([file('a.html', tricky), file('empty.txt', new Uint8Array(0)), file('img.png', binary)]);
    const { body, contentType } = batchBody(batch);
    expect(contentType).toMatch(/^multipart\/form-data; boundary=----huskit-[0-9a-f]{32}$/);
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    expect([...form.keys()]).toEqual(batch.map((f) => f.sha256));
    for (const f of batch) {
      const part = form.get(f.sha256) as File;
      expect(part.name).toBe(f.sha256);
      expect(part.type).toBe('application/octet-stream');
      expect(new Uint8Array(await part.arrayBuffer())).toEqual(f.bytes);
    }
    // A new boundary each time: no file's bytes can be made to end a part early.
    expect(batchBody(batch).contentType).not.toBe(contentType);
  });

  it("is built in the sender's buffer when it fits (the same multipart body), in a new one when it does not", async () => {
    const batch = await Promise.all([
      file('a.css', new TextEncoder().encode('p{}')),
      file(
        'b.bin',
        Uint8Array.from({ length: 2000 }, (_, i) => i % 251),
      ),
    ]);
    const scratch = new Uint8Array(64 * 1024).fill(0x7a);
    const inScratch = batchBody(batch, scratch);
    expect(inScratch.body.buffer).toBe(scratch.buffer);
    const boundary = inScratch.contentType.split('boundary=')[1]!;
    // Exactly the body's own bytes: nothing of what the buffer held before reads as part of it.
    const text = new TextDecoder('latin1').decode(inScratch.body);
    expect(text.startsWith(`--${boundary}\r\n`)).toBe(true);
    expect(text.endsWith(`--${boundary}--\r\n`)).toBe(true);
    const form = await new Response(inScratch.body, { headers: { 'content-type': inScratch.contentType } }).formData();
    for (const f of batch) expect(new Uint8Array(await (form.get(f.sha256) as File).arrayBuffer())).toEqual(f.bytes);
    const small = new Uint8Array(16);
    const fresh = batchBody(batch, small);
    expect(fresh.body.buffer).not.toBe(small.buffer);
    expect(fresh.body.length).toBe(inScratch.body.length);
  });
});
