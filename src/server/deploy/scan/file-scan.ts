// One file's scan, whole (scanBytes) or streamed (scanStream): every reading of its bytes, then of what they
// inflate to when they are gzip, answering the first hit.
import type { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { Hit, hitIn, type ScanHit } from './hits';
import { kindOf } from './kinds';
import { readings } from './readings';
import { scanReadings } from './stream';
import { scanFileText } from './text-scan';

/** What gzip may inflate to before its content is left unread (a bomb), as in scanBytes. */
const GUNZIP_LIMIT = 64 * 1024 * 1024;
const isGzip = (bytes: Buffer) => bytes[0] === 0x1f && bytes[1] === 0x8b;

/** The first rule a file breaks, if any. */
export function scanBytes(path: string, bytes: Buffer): ScanHit | null {
  const kind = kindOf(path);
  if (kind === 'skip') return null;
  const texts = readings(bytes);
  if (isGzip(bytes)) {
    try {
      texts.push(...readings(gunzipSync(bytes, { maxOutputLength: GUNZIP_LIMIT })));
    } catch {
      // Not gzip after all: the bytes as they are were read above.
    }
  }
  try {
    for (const text of texts) scanFileText(path, kind, text);
  } catch (e) {
    if (!(e instanceof Hit)) throw e;
    return hitIn(path, e);
  }
  return null;
}

/** The first rule a file's text breaks, if any (tests and callers holding text). */
export function scanText(path: string, text: string): ScanHit | null {
  return scanBytes(path, Buffer.from(text, 'utf8'));
}

/** A stream inflated, refused past the limit scanBytes gives gunzipSync. */
async function* inflated(stream: Readable): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  stream.on('error', (err) => gunzip.destroy(err));
  stream.pipe(gunzip);
  let total = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > GUNZIP_LIMIT) throw new RangeError('inflates past the limit');
      yield chunk;
    }
  } finally {
    stream.destroy();
    gunzip.destroy();
  }
}

/**
 * The first rule a file breaks, read as it streams (`open` gives a fresh stream each call; a file may
 * take more than one pass): every reading of it, then of what it inflates to when it is gzip. What the
 * scan does with files larger than a window.
 */
export async function scanStream(path: string, open: () => Promise<Readable>): Promise<ScanHit | null> {
  const kind = kindOf(path);
  if (kind === 'skip') return null;
  try {
    const head = await scanReadings(path, kind, open);
    if (!isGzip(head)) return null;
    try {
      await scanReadings(path, kind, async () => inflated(await open()));
    } catch (e) {
      // As gunzipSync: the inflated text counts only if the whole file inflates, within the limit.
      if (!(e instanceof Hit)) return null;
      try {
        for await (const _ of inflated(await open()));
      } catch {
        return null;
      }
      throw e;
    }
  } catch (e) {
    if (!(e instanceof Hit)) throw e;
    return hitIn(path, e);
  }
  return null;
}
