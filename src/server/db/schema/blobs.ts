// What is known of stored file bytes (the bytes live in the object store), who holds which, chunked uploads.
import { bigint, customType, index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea, createdAt } from './columns';
import { users } from './accounts';

/** A bit string (`bit varying`), as PostgreSQL writes it: '0101…'. */
const varbit = customType<{ data: string }>({ dataType: () => 'bit varying' });

/**
 * What a user has stored: one row per object (a pack of the small files of one upload request, or one
 * large file), and in `entries` what it holds, 60 bytes per file: SHA-256 (32), SHA-1 (20, zeros when
 * unknown), offset and size (big-endian uint32 each). No row per file: PostgreSQL then grows by ~1 % of
 * the bytes a site deploys, not 10 % (a row and its index keys per file cost 400–800 bytes). A user's
 * holdings are looked up through their rows, whose entries never change (cached by id: pack-index.ts).
 * A user holds what they uploaded (negotiation answers per user, so nobody deploys another person's
 * file by knowing its hash).
 */
export const packs = pgTable(
  'packs',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Its key in the object store (`packs/<id>`, or an older install's `blobs/…`). */
    object: text('object').notNull(),
    entries: bytea('entries').notNull(),
    /** The sum of its files' sizes (the storage quota, `user_storage`). */
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    /** Set again when a deployment uses it (unless within the hour): the cleanup waits a day after. */
    createdAt: createdAt(),
  },
  (t) => [index('packs_user_idx').on(t.userId), index('packs_object_idx').on(t.object)],
);

/**
 * Which of a pack's files passed the content scan under a mark (the rules' version and the reading):
 * bit i for entry i. Bits are only ever set (OR), so concurrent scans never undo each other's.
 */
export const packScans = pgTable(
  'pack_scans',
  {
    pack: uuid('pack')
      .notNull()
      .references(() => packs.id, { onDelete: 'cascade' }),
    mark: text('mark').notNull(),
    passed: varbit('passed').notNull(),
  },
  (t) => [primaryKey({ columns: [t.pack, t.mark] })],
);

/**
 * The bytes each user holds (their `packs`), kept by triggers on that table (migrations
 * 0014, 0015): the storage quota is checked on every upload request, and summing a user's files there grew
 * with everything they ever uploaded (~8 ms at 5,000 files, per request).
 */
export const userStorage = pgTable('user_storage', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
  /** The files they list (each a 60-byte entry here, whatever its size): limited on their own. */
  files: bigint('files', { mode: 'number' }).notNull().default(0),
  /** When the cleanup last went through the user's packs: the next run starts with those it saw longest ago. */
  packsCheckedAt: timestamp('packs_checked_at', { withTimezone: true }),
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
