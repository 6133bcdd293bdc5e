// File bytes an install kept in PostgreSQL before the object store: migration 0006 set them aside in
// `legacy_blob_bytes`, where they stay readable until `npm run blobs:migrate` moves them into the
// configured store (row by row, so a stopped run simply continues) and drops the table.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/client';
import { byteaBuffer } from '../db/schema/columns';
import type { ObjectStore } from '../storage/object-store';
import { blobKey } from './blob-keys';

/** Once the table is gone it never comes back: no more lookups then. */
let gone = false;

async function tableExists(db: Db): Promise<boolean> {
  if (gone) return false;
  const [row] = rowsOf<{ present: boolean }>(await db.execute(sql`select to_regclass('legacy_blob_bytes') is not null as present`));
  gone = !row?.present;
  return !gone;
}

/** The bytes of a blob still kept in the database, or null. */
export async function readLegacyBytes(db: Db, sha256: string): Promise<Buffer | null> {
  if (!(await tableExists(db))) return null;
  try {
    const [row] = rowsOf<{ bytes: Buffer | Uint8Array | string }>(await db.execute(sql`select bytes from legacy_blob_bytes where sha256 = ${sha256}`));
    return row ? byteaBuffer(row.bytes) : null;
  } catch (err) {
    // Dropped by a migration that finished meanwhile.
    if (!(await tableExists(db))) return null;
    throw err;
  }
}

export interface LegacyMigrationReport {
  moved: number;
  bytes: number;
  /** Rows whose bytes did not hash to their name: left in place and named, never stored. */
  corrupt: string[];
  tableDropped: boolean;
}

/** What one statement of the migration reads of a blob at most: a large file moves in pieces, never whole. */
const PIECE_BYTES = 4 * 1024 * 1024;

class Corrupt extends Error {}

/**
 * Moves every blob kept in the database into `objects`, `batch` rows at a time: each row is deleted
 * only once its object is stored (and verified), so a run stopped at any point loses nothing and the
 * next run continues where it stopped. Each blob is read in pieces of `pieceBytes` as it streams into
 * its object, hashed on the way. `limit` bounds one run (tests stop a run half way with it).
 */
export async function migrateLegacyBlobs(
  db: Db,
  objects: ObjectStore,
  options: { batch?: number; limit?: number; pieceBytes?: number; onProgress?: (r: LegacyMigrationReport) => void } = {},
): Promise<LegacyMigrationReport> {
  const report: LegacyMigrationReport = { moved: 0, bytes: 0, corrupt: [], tableDropped: false };
  if (!(await tableExists(db))) return report;
  const batch = options.batch ?? 50;
  const piece = options.pieceBytes ?? PIECE_BYTES;
  for (;;) {
    const room = options.limit === undefined ? batch : Math.min(batch, options.limit - report.moved);
    if (room <= 0) return report;
    const rows = rowsOf<{ sha256: string; size: string | number }>(
      await db.execute(
        sql`select sha256, octet_length(bytes)::bigint as size from legacy_blob_bytes where sha256 <> all(${sql.param(report.corrupt)}::text[]) order by sha256 limit ${room}`,
      ),
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      const size = Number(row.size);
      const hash = createHash('sha256');
      const pieces = Readable.from(
        (async function* () {
          for (let at = 0; at < size; at += piece) {
            const [read] = rowsOf<{ piece: Buffer | Uint8Array | string }>(
              await db.execute(sql`select substring(bytes from ${at + 1} for ${piece}) as piece from legacy_blob_bytes where sha256 = ${row.sha256}`),
            );
            const bytes = byteaBuffer(read!.piece);
            hash.update(bytes);
            yield bytes;
          }
        })(),
      );
      try {
        await objects.put(blobKey(row.sha256), pieces, {
          beforeCommit: () => {
            if (hash.digest('hex') !== row.sha256) throw new Corrupt();
          },
        });
      } catch (err) {
        if (!(err instanceof Corrupt)) throw err;
        report.corrupt.push(row.sha256);
        continue;
      }
      await db.execute(sql`delete from legacy_blob_bytes where sha256 = ${row.sha256}`);
      report.moved++;
      report.bytes += size;
    }
    options.onProgress?.(report);
  }
  if (report.corrupt.length === 0) {
    await db.execute(sql`drop table if exists legacy_blob_bytes`);
    gone = true;
    report.tableDropped = true;
  }
  return report;
}
