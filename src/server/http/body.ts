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
