// A deployment zip as the state keeps it: its bytes and their SHA-256, which names the blob it is persisted
// as, so the same bytes are saved once however many jobs and sites hold them.
import { createHash } from 'node:crypto';

export interface StoredZip {
  bytes: Buffer;
  /** Content address, also the blob name when persisted. */
  sha256: string;
}

export function storeZip(bytes: Buffer): StoredZip {
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export const blobKey = (zip: StoredZip) => `amplify-${zip.sha256}.zip`;
