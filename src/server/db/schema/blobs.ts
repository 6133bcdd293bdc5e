// What is known of stored file bytes (the bytes live in the object store), who holds which, chunked uploads.
import { sql } from 'drizzle-orm';
import { bigint, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from './columns';
import { users } from './accounts';

export const blobs = pgTable(
  'blobs',
  {
    sha256: text('sha256').primaryKey(),
    /** SHA-1 of the same bytes, for the platforms that address files by it; kept once computed. */
    sha1: text('sha1'),
    /** The content-scan rules (their version) these bytes passed; a redeploy scans only bytes not yet passed. */
    scannedWith: text('scanned_with'),
    size: bigint('size', { mode: 'number' }).notNull(),
    /** The pack object holding these bytes at `packOffset` (small files uploaded together share one
     * object); null when the blob is an object of its own (`blobKey`). */
    pack: uuid('pack'),
    packOffset: bigint('pack_offset', { mode: 'number' }),
    /** Set when the blob is stored or uploaded again: the cleanup only collects blobs untouched for a day. */
    createdAt: createdAt(),
  },
  // The cleanup removes a pack once no blob row names it.
  (t) => [
    index('blobs_pack_idx')
      .on(t.pack)
      .where(sql`${t.pack} is not null`),
  ],
);

/** Which user has proven to hold which blob (uploaded its bytes): negotiation answers per user, so
 * nobody can deploy another person's file by knowing its hash. */
export const userBlobs = pgTable(
  'user_blobs',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sha256: text('sha256')
      .notNull()
      .references(() => blobs.sha256, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.sha256] })],
);

/**
 * The bytes of the blobs each user holds (`user_blobs`), kept by triggers on that table (migration
 * 0014): the storage quota is checked on every upload request, and summing a user's files there grew
 * with everything they ever uploaded (~8 ms at 5,000 files, per request).
 */
export const userStorage = pgTable('user_storage', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
});

/**
 * Parts of a blob larger than one upload request, until the last part arrives and is verified; each
 * part's bytes are an object of their own in the object store.
 */
export const blobChunks = pgTable(
  'blob_chunks',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sha256: text('sha256').notNull(),
    offset: bigint('offset', { mode: 'number' }).notNull(),
    totalSize: bigint('total_size', { mode: 'number' }).notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.sha256, t.offset] }), index('blob_chunks_created_idx').on(t.createdAt)],
);

/** The status history of a deployment; the row id is the SSE event id. */
