// Large files in chunks (PUT /api/blobs/{sha256}?offset&total): the declared total is checked (the
// per-file limit, the storage quota) before any byte is stored; each chunk is an object of its own
// (`parts/…`) until the last one arrives, then the chunks are read back in order, hashed as they
// stream into the whole blob, and removed. The whole file is never held in memory.
import { Readable } from 'node:stream';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { formatBytes, SITE_LIMITS } from '@/lib/site-files';
import { blobChunks } from '../db/schema';
import { AppError } from '../errors';
import { ObjectNotFound } from '../storage/object-store';
import { inBatches, partKey } from './blob-keys';
import type { BlobStore } from './blob-store';

/**
 * One part of a large file. The declared total is checked (per-file limit, storage quota) before any
 * byte is stored; each part is an object of its own and, once all have arrived, they are read back
 * in order, hashed as they stream into the whole blob, and removed: never held whole in memory.
 */
export async function putChunk(store: BlobStore, userId: string, sha256: string, offset: number, totalSize: number, body: Readable | Buffer) {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(totalSize) || offset < 0 || totalSize <= 0 || offset >= totalSize)
    throw new AppError('BAD_REQUEST', 'The chunk does not fit its file: check offset and total size.');
  if (Buffer.isBuffer(body)) {
    if (offset + body.length > totalSize) throw new AppError('BAD_REQUEST', 'The chunk does not fit its file: check offset and total size.');
    if (body.length === 0 || body.length > SITE_LIMITS.maxUploadRequestBytes) throw new AppError('PAYLOAD_TOO_LARGE', 'Send each chunk with 1 byte to 4 MB.');
  }
  if (!(await acceptsChunkedFile(store, userId, sha256, totalSize))) {
    if (body instanceof Readable) body.resume();
    return { complete: true, received: totalSize };
  }
  const where = and(eq(blobChunks.userId, userId), eq(blobChunks.sha256, sha256));
  // The file's parts (this one, if sent again) are made new before its bytes are written: the daily
  // prune, which takes a file whose parts are all a day old, does not take one that is being sent again.
  await store.db
    .update(blobChunks)
    .set({ createdAt: sql`now()` })
    .where(where);
  const limit = Math.min(SITE_LIMITS.maxUploadRequestBytes, totalSize - offset);
  const size = await store.objects.put(partKey(userId, sha256, offset), body, {
    maxBytes: limit,
    tooLarge: () =>
      limit < SITE_LIMITS.maxUploadRequestBytes
        ? new AppError('BAD_REQUEST', 'The chunk does not fit its file: check offset and total size.')
        : new AppError('PAYLOAD_TOO_LARGE', 'Send each chunk with 1 byte to 4 MB.'),
    beforeCommit: (n) => {
      if (n === 0) throw new AppError('PAYLOAD_TOO_LARGE', 'Send each chunk with 1 byte to 4 MB.');
    },
  });
  // Parts of one file all name the same total; a part with another total starts the file over.
  const stale = await store.db
    .delete(blobChunks)
    .where(and(where, sql`${blobChunks.totalSize} <> ${totalSize}`))
    .returning({ offset: blobChunks.offset });
  await deleteParts(
    store,
    userId,
    sha256,
    stale.map((p) => p.offset).filter((o) => o !== offset),
  );
  // The quota again, under the lock on the user's storage: parts of files sent in parallel count one after another.
  await store
    .withStorageLocked(userId, totalSize, sha256, (tx) =>
      tx
        .insert(blobChunks)
        .values({ userId, sha256, offset, totalSize, size })
        .onConflictDoUpdate({ target: [blobChunks.userId, blobChunks.sha256, blobChunks.offset], set: { size, totalSize } }),
    )
    .catch(async (err) => {
      await deleteParts(store, userId, sha256, [offset]);
      throw err;
    });
  const parts = await store.db.select({ offset: blobChunks.offset, size: blobChunks.size }).from(blobChunks).where(where).orderBy(asc(blobChunks.offset));
  const received = parts.reduce((n, p) => n + p.size, 0);
  if (received < totalSize) return { complete: false, received };

  try {
    let expected = 0;
    for (const part of parts) {
      if (part.offset !== expected) throw new AppError('BAD_REQUEST', 'The chunks of this file overlap or leave gaps. Upload the file again from the start.');
      expected += part.size;
    }
    const objects = store.objects;
    const whole = Readable.from(
      (async function* () {
        for (const part of parts) yield* await objects.get(partKey(userId, sha256, part.offset));
      })(),
    );
    const stored = await store.receive(sha256, whole).catch((err) => {
      // Another request for this file (another total) removed a part while they were joined.
      if (err instanceof ObjectNotFound)
        throw new AppError('CONFLICT', 'The parts of this file changed while they were being joined. Upload the file again from the start.');
      throw err;
    });
    await store.record(stored, userId, sha256);
  } finally {
    // Only the parts read: one that another request stored meanwhile keeps its row, and its object with it.
    await store.db.delete(blobChunks).where(
      and(
        where,
        inArray(
          blobChunks.offset,
          parts.map((p) => p.offset),
        ),
      ),
    );
    await deleteParts(
      store,
      userId,
      sha256,
      parts.map((p) => p.offset),
    );
  }
  return { complete: true, received };
}

async function deleteParts(store: BlobStore, userId: string, sha256: string, offsets: number[]) {
  for (const offset of offsets) await store.objects.delete(partKey(userId, sha256, offset));
}

/**
 * Whether parts of a file of `totalSize` bytes may be stored: refused (per-file limit, storage quota)
 * before any byte of it is read or kept; false when the user already holds the file (nothing to send).
 */
export async function acceptsChunkedFile(store: BlobStore, userId: string, sha256: string, totalSize: number): Promise<boolean> {
  if (!Number.isSafeInteger(totalSize) || totalSize <= 0) throw new AppError('BAD_REQUEST', "Give the whole file's size as total (bytes, at least 1).");
  if (totalSize > SITE_LIMITS.maxTotalBytes)
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `The file is ${formatBytes(totalSize)}; one file may be at most ${formatBytes(SITE_LIMITS.maxTotalBytes)} (a whole site's limit).`,
    ).withAction('fix-files');
  if ((await store.missing(userId, [sha256])).length === 0) return false;
  await store.assertRoom(userId, totalSize, sha256);
  return true;
}

/**
 * Parts of uploads nobody finished: removed once no part of their file arrived for `olderThanMs` (the
 * daily cleanup). A file one of whose parts came lately is still being uploaded: all its parts stay.
 */
export async function pruneStaleChunks(store: BlobStore, olderThanMs: number): Promise<number> {
  const before = sql`now() - ${`${olderThanMs} milliseconds`}::interval`;
  const removed = await store.db
    .delete(blobChunks)
    .where(
      sql`${blobChunks.createdAt} < ${before} and not exists (select 1 from ${blobChunks} as recent where recent.user_id = ${blobChunks.userId} and recent.sha256 = ${blobChunks.sha256} and recent.created_at >= ${before})`,
    )
    .returning({ userId: blobChunks.userId, sha256: blobChunks.sha256, offset: blobChunks.offset });
  for (const p of removed) await store.objects.delete(partKey(p.userId, p.sha256, p.offset));
  return removed.length;
}

const PART_KEY = /^parts\/([0-9a-f-]{36})\/([0-9a-f]{64})\/(\d+)$/;

/**
 * Part objects no row names, last written before `before` (ms since the epoch): a process stopped
 * between a part's bytes and its row, or a prune whose delete of the object failed after its row went.
 * A part being written now is newer than that, whatever its row.
 */
export async function collectOrphanParts(store: BlobStore, before: number): Promise<number> {
  let deleted = 0;
  for await (const batch of inBatches(store.objects.list('parts/', { modifiedBefore: before }))) {
    const parts = batch.flatMap((key) => {
      const m = PART_KEY.exec(key);
      return m ? [{ key, userId: m[1]!, sha256: m[2]!, offset: Number(m[3]) }] : [];
    });
    if (parts.length === 0) continue;
    const rows = await store.db
      .select({ userId: blobChunks.userId, sha256: blobChunks.sha256, offset: blobChunks.offset })
      .from(blobChunks)
      .where(and(inArray(blobChunks.userId, [...new Set(parts.map((p) => p.userId))]), inArray(blobChunks.sha256, [...new Set(parts.map((p) => p.sha256))])));
    const named = new Set(rows.map((r) => partKey(r.userId, r.sha256, r.offset)));
    for (const part of parts.filter((p) => !named.has(p.key))) {
      await store.objects.delete(part.key);
      deleted++;
    }
  }
  return deleted;
}
