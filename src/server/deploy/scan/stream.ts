// A file's bytes decoded as they stream, into the sinks of every reading, in as many passes as it needs:
// a large file is never whole in memory, and other requests get their turn while it is read.
import type { Kind } from './kinds';
import { encodingOf, HEAD_BYTES, hasIsoEscapes, labelsFor } from './readings';
import { fileTextSink, type TextSink } from './stream-sinks';

/** Bytes decoded at once, whatever the size of the store's chunks. */
const DECODE_BYTES = 1024 * 1024;

/**
 * One pass over a file's bytes: each reading the head of the bytes calls for (`sinksFor`) is decoded
 * as the bytes come and fed to its sink. Answers whether the bytes carry ISO-2022-JP's escapes (known
 * only at their end) and the sinks that need their reading once more.
 */
async function readPass(
  bytes: AsyncIterable<Buffer>,
  sinksFor: (head: Buffer) => [string, TextSink][],
): Promise<{ escapes: boolean; again: [string, TextSink][] }> {
  let readers: { label: string; decoder: TextDecoder; sink: TextSink }[] | null = null;
  const waiting: Buffer[] = [];
  let escapes = false;
  let lastByte = -1;
  const feed = (piece: Buffer) => {
    escapes ||= hasIsoEscapes(piece) || (lastByte === 0x1b && (piece[0] === 0x24 || piece[0] === 0x28));
    lastByte = piece[piece.length - 1]!;
    for (const r of readers!) r.sink.push(r.decoder.decode(piece, { stream: true }));
  };
  const start = () => {
    const encodings = new Set<string>();
    readers = [];
    for (const [label, sink] of sinksFor(Buffer.concat(waiting))) {
      // A charset the platform does not know gives no reading (as decode() answers null); two names
      // of one encoding give one.
      const encoding = encodingOf(label);
      if (encoding === null || encodings.has(encoding)) continue;
      encodings.add(encoding);
      readers.push({ label, decoder: new TextDecoder(label), sink });
    }
    for (const piece of waiting.splice(0)) if (piece.length) feed(piece);
  };
  let headBytes = 0;
  let sinceTurn = 0;
  for await (const chunk of bytes) {
    for (let at = 0; at < chunk.length; at += DECODE_BYTES) {
      const piece = chunk.subarray(at, at + DECODE_BYTES);
      if (readers) feed(piece);
      else {
        waiting.push(piece);
        headBytes += piece.length;
        if (headBytes >= HEAD_BYTES) start();
      }
      // Other requests get a turn every megabyte, even when the store hands over one large chunk.
      sinceTurn += piece.length;
      if (sinceTurn >= DECODE_BYTES) {
        sinceTurn = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }
  if (!readers) start();
  const again: [string, TextSink][] = [];
  for (const r of readers!) {
    r.sink.push(r.decoder.decode());
    const sink = r.sink.end();
    if (sink) again.push([r.label, sink]);
  }
  return { escapes, again };
}

/** Every reading of a file's bytes through its sinks, in as many passes as the file needs; answers the file's head. */
export async function scanReadings(path: string, kind: Exclude<Kind, 'skip'>, open: () => Promise<AsyncIterable<Buffer>>): Promise<Buffer> {
  let head: Buffer = Buffer.alloc(0);
  let bom = false;
  let labels: string[] = [];
  const first = await readPass(await open(), (h) => {
    head = h;
    ({ labels, bom } = labelsFor(h));
    return labels.map((label) => [label, fileTextSink(path, kind)]);
  });
  let again = first.again;
  // The escapes may come last: that reading then takes a pass of its own.
  if (!bom && first.escapes && !labels.some((label) => encodingOf(label) === 'iso-2022-jp')) again.push(['iso-2022-jp', fileTextSink(path, kind)]);
  while (again.length) {
    const sinks = again;
    again = (await readPass(await open(), () => sinks)).again;
  }
  return head;
}
