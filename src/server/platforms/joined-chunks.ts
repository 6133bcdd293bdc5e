// Many small chunks joined into writes of a useful size: a body or file made of thousands of small parts
// (headers, encoded files, zip records) otherwise costs a socket or file write for each.

/** A write's size when chunks are joined: large enough to amortise a write, small enough to stay cheap. */
const JOINED_WRITE_BYTES = 256 * 1024;

/** The chunks joined into writes of about `bytes` (a chunk already that large passes as it is). */
export async function* joinedChunks(chunks: AsyncIterable<Buffer>, bytes = JOINED_WRITE_BYTES): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    held.push(chunk);
    size += chunk.length;
    if (size >= bytes) {
      yield held.length === 1 ? held[0]! : Buffer.concat(held, size);
      held = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(held, size);
}
