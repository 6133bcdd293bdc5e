// File bytes an install kept in PostgreSQL before the object store: migration 0006 set them aside in
// `legacy_blob_bytes`, where they stay readable until `npm run blobs:migrate` moves them into the
// configured store (row by row, so a stopped run simply continues) and drops the table.
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/client';
import { byteaBuffer } from '../db/schema/columns';
import type { ObjectStore } from '../storage/object-store';
import { blobKey, sha256Hex } from './blob-keys';

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

/**
 * Moves every blob kept in the database into `objects`, `batch` rows at a time: each row is deleted
 * only once its object is stored (and verified), so a run stopped at any point loses nothing and the
 * next run continues where it stopped. `limit` bounds one run (tests stop a run half way with it).
 */
export async function migrateLegacyBlobs(
  db: Db,
  objects: ObjectStore,
  options: { batch?: number; limit?: number; onProgress?: (r: LegacyMigrationReport) => void } = {},
): Promise<LegacyMigrationReport> {
  const report: LegacyMigrationReport = { moved: 0, bytes: 0, corrupt: [], tableDropped: false };
  if (!(await tableExists(db))) return report;
  const batch = options.batch ?? 50;
  for (;;) {
    const room = options.limit === undefined ? batch : Math.min(batch, options.limit - report.moved);
    if (room <= 0) return report;
    const rows = rowsOf<{ sha256: string; bytes: Buffer | Uint8Array | string }>(
      await db.execute(
        sql`select sha256, bytes from legacy_blob_bytes where sha256 <> all(${sql.param(report.corrupt)}::text[]) order by sha256 limit ${room}`,
      ),
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      const bytes = byteaBuffer(row.bytes);
      if (sha256Hex(bytes) !== row.sha256) {
        report.corrupt.push(row.sha256);
        continue;
      }
      await objects.put(blobKey(row.sha256), bytes);
      await db.execute(sql`delete from legacy_blob_bytes where sha256 = ${row.sha256}`);
      report.moved++;
      report.bytes += bytes.length;
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
