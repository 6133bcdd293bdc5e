// Many small pieces joined into writes of a useful size: a body or a file made of thousands of small
// parts (headers, base64-encoded files, zip records) otherwise costs a socket or file write for each.
// Each piece is copied once, into the write it lands in: base64 text goes straight in, with no Buffer
// of its own on the way, and no write is concatenated from others.

/** A write's size: large enough to amortise a write, small enough to stay cheap. */
const JOINED_WRITE_BYTES = 256 * 1024;

/** Pieces copied into writes of exactly `bytes` (the last with what is left); text is written as latin1 (one byte a character). */
export class JoinedWrites {
  private write: Buffer;
  private at = 0;

  constructor(private readonly bytes = JOINED_WRITE_BYTES) {
    this.write = Buffer.allocUnsafeSlow(bytes);
  }

  /** Copies the piece in; answers the writes it filled. */
  *add(piece: Uint8Array | string): Generator<Buffer> {
    for (let from = 0; from < piece.length;) {
      const take = Math.min(this.bytes - this.at, piece.length - from);
      if (typeof piece === 'string') this.write.write(take === piece.length ? piece : piece.slice(from, from + take), this.at, take, 'latin1');
      else this.write.set(piece.subarray(from, from + take), this.at);
      this.at += take;
      from += take;
      if (this.at === this.bytes) {
        // A write handed on is the caller's until it is sent: the next one is new memory.
        yield this.write;
        this.write = Buffer.allocUnsafeSlow(this.bytes);
        this.at = 0;
      }
    }
  }

  /** What is left after the last full write (nothing when it ended on a write). */
  *end(): Generator<Buffer> {
    if (this.at > 0) yield this.write.subarray(0, this.at);
    this.at = 0;
  }
}
