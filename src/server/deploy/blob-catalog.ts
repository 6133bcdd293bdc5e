// What is stored, and reading it: where each blob's bytes are (their own object, or a range of a
// pack), which blobs a user has proven to hold, the SHA-1 some platforms address files by (computed
// once), and the scan rules version each blob passed. Bytes come in through BlobStore (blob-store.ts),
// which extends this.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { and, eq, sql, type Column } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { blobs, userBlobs } from '../db/schema';
import { AppError } from '../errors';
import { getObjectStore } from '../storage/from-env';
import { ObjectNotFound, readAll, type ObjectStore } from '../storage/object-store';
import { blobKey, packKey } from './blob-keys';
import { blobReader, type BlobLocation, type BlobReader } from './blob-reader';
import { readLegacyBytes } from './legacy-blobs';

/** Long hash lists are asked in slices, so each answer stays small. */
export const SLICE = 5000;

/** `column = any($1)`: one array parameter, where `inArray` would build one parameter per hash. */
export const anyOf = (column: Column, values: string[]) => sql`${column} = any(${sql.param(values)}::text[])`;

/** A row (a blob, a manifest) marked used this recently is not marked again: the cleanup waits a day. */
export const MARKED_RECENTLY_MS = 60 * 60 * 1000;

/**
 * Marks the blobs used now (those not marked within the hour) and answers how many of them exist. Run
 * in a deployment's transaction: a cleanup about to collect one of them waits on the row, then finds it
 * fresh; one it collected since they were looked up is missing from the count.
 */
export async function markUsed(db: Db | Tx, sha256s: string[], now: Date): Promise<number> {
  if (sha256s.length === 0) return 0;
  const result = (await db.execute(sql`
    with marked as (
      update ${blobs} set created_at = ${now} where sha256 = any(${sql.param(sha256s)}::text[]) and created_at < ${new Date(now.getTime() - MARKED_RECENTLY_MS)}
      returning 1)
    select count(*)::int as n from ${blobs} where sha256 = any(${sql.param(sha256s)}::text[])`)) as unknown as { rows: { n: number }[] };
  return Number(result.rows[0]?.n ?? 0);
}

export class BlobCatalog {
  constructor(
    readonly db: Db,
    readonly objects: ObjectStore = getObjectStore(),
  ) {}

  /** The hashes among `hashes` that this user has not uploaded yet. */
  async missing(userId: string, hashes: string[]): Promise<string[]> {
    const held = await this.heldSizes(userId, hashes);
    return [...new Set(hashes)].filter((h) => !held.has(h));
  }

  /** The stored size of each of `hashes` this user holds (SHA-256 → bytes); the others are absent. */
  async heldSizes(userId: string, hashes: string[]): Promise<Map<string, number>> {
    const unique = [...new Set(hashes)];
    const held = new Map<string, number>();
    for (let i = 0; i < unique.length; i += SLICE) {
      const rows = await this.db
        .select({ sha256: userBlobs.sha256, size: blobs.size })
        .from(userBlobs)
        .innerJoin(blobs, eq(blobs.sha256, userBlobs.sha256))
        .where(and(eq(userBlobs.userId, userId), anyOf(userBlobs.sha256, unique.slice(i, i + SLICE))));
      for (const r of rows) held.set(r.sha256, r.size);
    }
    return held;
  }

  /**
   * One blob's bytes as a stream (a fresh one each call). A blob an older install kept in the database
   * is read from there until `npm run blobs:migrate` has moved it.
   */
  async open(sha256: string): Promise<Readable> {
    return this.openAt(sha256, (await this.locate([sha256])).get(sha256));
  }

  /** Where each of `sha256s` is stored (SHA-256 → location), in one query per slice; unknown ones are absent. */
  async locate(sha256s: string[]): Promise<Map<string, BlobLocation>> {
    const unique = [...new Set(sha256s)];
    const found = new Map<string, BlobLocation>();
    for (let i = 0; i < unique.length; i += SLICE) {
      const rows = await this.db
        .select({ sha256: blobs.sha256, size: blobs.size, pack: blobs.pack, packOffset: blobs.packOffset })
        .from(blobs)
        .where(anyOf(blobs.sha256, unique.slice(i, i + SLICE)));
      for (const { sha256, ...at } of rows) found.set(sha256, at);
    }
    return found;
  }

  /** A reader for many blobs (a deployment's): see blob-reader.ts. */
  reader(sha256s: string[]): BlobReader {
    return blobReader(this, sha256s);
  }

  /** One blob read on its own, from where it is (`locate`); an older install's row as the fallback. */
  async openAt(sha256: string, at: BlobLocation | undefined): Promise<Readable> {
    try {
      if (at?.pack != null) {
        if (at.size === 0) return Readable.from([]);
        return await this.objects.get(packKey(at.pack), { start: at.packOffset!, end: at.packOffset! + at.size - 1 });
      }
      return await this.objects.get(blobKey(sha256));
    } catch (err) {
      if (!(err instanceof ObjectNotFound)) throw err;
      const legacy = await readLegacyBytes(this.db, sha256);
      if (legacy) return Readable.from([legacy]);
      throw new AppError('NOT_FOUND', `The file with SHA-256 ${sha256} is not stored. Upload it again.`);
    }
  }

  /** One blob's bytes, whole: for small reads (a `_redirects` file, the editor); uploads stream with `open`. */
  async get(sha256: string): Promise<Buffer> {
    return readAll(await this.open(sha256));
  }

  /** The SHA-1 of each blob (SHA-256 → SHA-1), computed once from the bytes and then kept. */
  async sha1Many(sha256s: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(sha256s)];
    const found = new Map<string, string>();
    for (let i = 0; i < unique.length; i += SLICE) {
      const rows = await this.db
        .select({ sha256: blobs.sha256, sha1: blobs.sha1 })
        .from(blobs)
        .where(anyOf(blobs.sha256, unique.slice(i, i + SLICE)));
      for (const r of rows) if (r.sha1) found.set(r.sha256, r.sha1);
    }
    // Blobs stored before SHA-1 was kept: hash them once now and remember.
    for (const sha256 of unique.filter((h) => !found.has(h))) {
      const hash = createHash('sha1');
      for await (const chunk of await this.open(sha256)) hash.update(chunk as Buffer);
      const sha1 = hash.digest('hex');
      await this.db.update(blobs).set({ sha1 }).where(eq(blobs.sha256, sha256));
      found.set(sha256, sha1);
    }
    return found;
  }

  /** Those of `sha256s` that have not passed the scan under `version` (one row back per blob to scan). */
  async notPassedScan(sha256s: string[], version: string): Promise<Set<string>> {
    const left = new Set<string>();
    for (let i = 0; i < sha256s.length; i += SLICE) {
      const result = (await this.db.execute(
        sql`select s.sha256 from unnest(${sql.param(sha256s.slice(i, i + SLICE))}::text[]) as s(sha256)
            where not exists (select 1 from ${blobs} b where b.sha256 = s.sha256 and b.scanned_with = ${version})`,
      )) as unknown as { rows: { sha256: string }[] };
      for (const r of result.rows) left.add(r.sha256);
    }
    return left;
  }

  async markScanned(sha256s: string[], version: string): Promise<void> {
    for (let i = 0; i < sha256s.length; i += SLICE)
      await this.db
        .update(blobs)
        .set({ scannedWith: version })
        .where(anyOf(blobs.sha256, sha256s.slice(i, i + SLICE)));
  }
}
