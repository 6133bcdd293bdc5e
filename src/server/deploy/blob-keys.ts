// What names a file's bytes: their SHA-256 (and the SHA-1 some platforms address files by), and where
// they live in the object store: a pack (one upload request's small files, or one large file), an older
// install's object of one file, or a chunk of a large upload still arriving.
import { createHash, randomBytes } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store';

export const sha256Hex = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');
export const sha1Hex = (bytes: Buffer | Uint8Array) => createHash('sha1').update(bytes).digest('hex');

/** An older install's object of one file (sharded by hash prefix so no folder grows huge); new bytes go into packs. */
export const blobKey = (sha256: string) => `blobs/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;

/** Files uploaded together are stored as one object, a pack: their bytes one after another (a large file is a pack of one). */
export const packKey = (pack: string) => `packs/${pack}`;

/** One chunk of a large file still arriving, until the file is complete. */
export const partKey = (userId: string, sha256: string, offset: number) => `parts/${userId}/${sha256}/${offset}`;

/**
 * A pack's id: a UUID whose first 48 bits are the moment it was made (as UUIDv7), so the cleanup can
 * tell from the key alone whether an unreferenced pack is old enough to be a leftover.
 */
export function newPackId(now = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** When a pack was made (from its id), in ms since the epoch. */
export const packMadeAt = (pack: string) => parseInt(pack.replace(/-/g, '').slice(0, 12), 16);

/** The keys under `prefix` named by such an id (`prefix` + id) made before `before` (ms since the epoch). */
export async function* keysMadeBefore(objects: ObjectStore, prefix: string, before: number): AsyncGenerator<string> {
  for await (const key of objects.list(prefix)) {
    const id = key.slice(prefix.length);
    if (/^[0-9a-f-]{36}$/.test(id) && packMadeAt(id) < before) yield key;
  }
}

/**
 * Keys as they are listed, `size` at a time: a sweep deletes each batch before it lists the next, so it
 * holds one batch in memory however large the store, and a run cut short has done its first batches.
 */
export async function* inBatches(keys: AsyncIterable<string>, size = 1000): AsyncGenerator<string[]> {
  let batch: string[] = [];
  for await (const key of keys) {
    batch.push(key);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
