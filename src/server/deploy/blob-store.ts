// File bytes, stored once by SHA-256 in Postgres (bytea), and who has proven to hold which.
// Every blob's hash is checked against its bytes before it counts.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { and, asc, eq, sql, type Column } from 'drizzle-orm';
import { formatBytes, SITE_LIMITS } from '@/lib/site-files';
import type { Db } from '../db/client';
import { blobChunks, blobs, userBlobs } from '../db/schema';
import { getEnv } from '../env';
import { AppError } from '../errors';

export interface BlobStore {
  /** The hashes among `hashes` that this user has not uploaded yet. */
  missing(userId: string, hashes: string[]): Promise<string[]>;
  /** The stored size of each of `hashes` this user holds (SHA-256 → bytes); the others are absent. */
  heldSizes(userId: string, hashes: string[]): Promise<Map<string, number>>;
  /** Stores bytes that must hash to `sha256`; refuses them otherwise. */
  put(userId: string, sha256: string, bytes: Buffer): Promise<void>;
  /** Many small files at once (one statement); one wrong hash refuses the whole batch. */
  putMany(userId: string, files: { sha256: string; bytes: Buffer }[]): Promise<void>;
  /** One part of a file larger than an upload request; the last part completes and verifies it. */
  putChunk(userId: string, sha256: string, offset: number, totalSize: number, bytes: Buffer): Promise<{ complete: boolean; received: number }>;
  get(sha256: string): Promise<Buffer>;
  /** One blob's bytes as a stream (a fresh one each call). */
  open(sha256: string): Promise<Readable>;
  /** Many blobs in few reads (a bucket of uploads, a scan). */
  getMany(sha256s: string[]): Promise<Map<string, Buffer>>;
  /** The SHA-1 of each blob (SHA-256 → SHA-1), computed once from the bytes and then kept. */
  sha1Many(sha256s: string[]): Promise<Map<string, string>>;
}

export const sha256Hex = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');
export const sha1Hex = (bytes: Buffer | Uint8Array) => createHash('sha1').update(bytes).digest('hex');

/** Long hash lists are asked in slices, so each answer stays small. */
const SLICE = 5000;

/** `column = any($1)`: one array parameter, where `inArray` would build one parameter per hash. */
const anyOf = (column: Column, values: string[]) => sql`${column} = any(${sql.param(values)}::text[])`;

export class PostgresBlobStore implements BlobStore {
  constructor(private readonly db: Db) {}

  async missing(userId: string, hashes: string[]): Promise<string[]> {
    const held = await this.heldSizes(userId, hashes);
    return [...new Set(hashes)].filter((h) => !held.has(h));
  }

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

  /** Bytes the user holds: their blobs, and the parts of large files still arriving. */
  async storageUsed(userId: string, exceptChunksOf?: string): Promise<number> {
    const result = await this.db.execute(sql`
      select (select coalesce(sum(b.size), 0) from ${userBlobs} ub join ${blobs} b on b.sha256 = ub.sha256 where ub.user_id = ${userId})
           + (select coalesce(sum(octet_length(c.bytes)), 0) from ${blobChunks} c where c.user_id = ${userId} and c.sha256 <> ${exceptChunksOf ?? ''}) as used`);
    return Number((result as unknown as { rows: { used: string | number }[] }).rows[0]?.used ?? 0);
  }

  /** Refuses (413) bytes that would take the user past their storage quota; nothing is stored then. */
  async assertRoom(userId: string, incomingBytes: number, exceptChunksOf?: string): Promise<void> {
    if (incomingBytes <= 0) return;
    const quota = getEnv().storageQuotaBytes;
    const used = await this.storageUsed(userId, exceptChunksOf);
    if (used + incomingBytes > quota)
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `Storage full: your files take ${formatBytes(used)} of your ${formatBytes(quota)}, and this upload needs ${formatBytes(incomingBytes)} more. Delete sites or files you no longer need, then try again.`,
      ).withAction('fix-files');
  }

  async put(userId: string, sha256: string, bytes: Buffer): Promise<void> {
    const actual = sha256Hex(bytes);
    if (actual !== sha256)
      throw new AppError('BAD_REQUEST', `The uploaded bytes do not match their SHA-256 (expected ${sha256}, got ${actual}). Upload the file again.`);
    if ((await this.missing(userId, [sha256])).length === 0) return;
    await this.assertRoom(userId, bytes.length);
    // One statement (one round trip): the blob, once, and the user's proof of holding it.
    await this.db.execute(sql`
      with stored as (
        insert into ${blobs} (sha256, sha1, size, bytes) values (${sha256}, ${sha1Hex(bytes)}, ${bytes.length}, ${bytes}) on conflict do nothing
      )
      insert into ${userBlobs} (user_id, sha256) values (${userId}, ${sha256}) on conflict do nothing`);
  }

  async putMany(userId: string, files: { sha256: string; bytes: Buffer }[]): Promise<void> {
    for (const f of files) {
      const actual = sha256Hex(f.bytes);
      if (actual !== f.sha256)
        throw new AppError('BAD_REQUEST', `The uploaded bytes do not match their SHA-256 (expected ${f.sha256}, got ${actual}). Nothing in this batch was stored; upload it again.`);
    }
    // In hash order: two batches sharing blobs then take their row locks in the same order (no deadlock).
    const unique = [...new Map(files.map((f) => [f.sha256, f])).values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
    const missing = new Set(await this.missing(userId, unique.map((f) => f.sha256)));
    await this.assertRoom(userId, unique.reduce((n, f) => n + (missing.has(f.sha256) ? f.bytes.length : 0), 0));
    // Postgres takes at most 65,535 parameters per statement: 6 per blob.
    for (let i = 0; i < unique.length; i += 4000) {
      const slice = unique.slice(i, i + 4000);
      await this.db.execute(sql`
        with stored as (
          insert into ${blobs} (sha256, sha1, size, bytes)
          values ${sql.join(slice.map((f) => sql`(${f.sha256}, ${sha1Hex(f.bytes)}, ${f.bytes.length}, ${f.bytes})`), sql`, `)}
          on conflict do nothing
        )
        insert into ${userBlobs} (user_id, sha256) values ${sql.join(slice.map((f) => sql`(${userId}, ${f.sha256})`), sql`, `)} on conflict do nothing`);
    }
  }

  /**
   * One part of a large file. The declared total is checked (per-file limit, storage quota) before any
   * byte is stored; parts are kept as rows and, once all have arrived, hashed one part at a time and
   * joined by the database itself: a large file is never held whole in memory here.
   */
  async putChunk(userId: string, sha256: string, offset: number, totalSize: number, bytes: Buffer) {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(totalSize) || offset < 0 || totalSize <= 0 || offset + bytes.length > totalSize)
      throw new AppError('BAD_REQUEST', 'The chunk does not fit its file: check offset and total size.');
    if (bytes.length === 0 || bytes.length > SITE_LIMITS.maxUploadRequestBytes)
      throw new AppError('PAYLOAD_TOO_LARGE', 'Send each chunk with 1 byte to 4 MB.');
    if (!(await this.acceptsChunkedFile(userId, sha256, totalSize))) return { complete: true, received: totalSize };
    const where = and(eq(blobChunks.userId, userId), eq(blobChunks.sha256, sha256));
    // Parts of one file all name the same total; a part with another total starts the file over.
    await this.db.delete(blobChunks).where(and(where, sql`${blobChunks.totalSize} <> ${totalSize}`));
    await this.db
      .insert(blobChunks)
      .values({ userId, sha256, offset, totalSize, bytes })
      .onConflictDoUpdate({ target: [blobChunks.userId, blobChunks.sha256, blobChunks.offset], set: { bytes, totalSize } });
    const parts = await this.db
      .select({ offset: blobChunks.offset, length: sql<number>`octet_length(${blobChunks.bytes})`.mapWith(Number) })
      .from(blobChunks)
      .where(where)
      .orderBy(asc(blobChunks.offset));
    const received = parts.reduce((n, p) => n + p.length, 0);
    if (received < totalSize) return { complete: false, received };

    try {
      let expected = 0;
      for (const part of parts) {
        if (part.offset !== expected) throw new AppError('BAD_REQUEST', 'The chunks of this file overlap or leave gaps. Upload the file again from the start.');
        expected += part.length;
      }
      const sha256er = createHash('sha256');
      const sha1er = createHash('sha1');
      for (const part of parts) {
        const [row] = await this.db.select({ bytes: blobChunks.bytes }).from(blobChunks).where(and(where, eq(blobChunks.offset, part.offset)));
        sha256er.update(row!.bytes);
        sha1er.update(row!.bytes);
      }
      const actual = sha256er.digest('hex');
      if (actual !== sha256)
        throw new AppError('BAD_REQUEST', `The uploaded bytes do not match their SHA-256 (expected ${sha256}, got ${actual}). Upload the file again.`);
      await this.db.execute(sql`
        with stored as (
          insert into ${blobs} (sha256, sha1, size, bytes)
          select ${sha256}, ${sha1er.digest('hex')}, ${totalSize}, string_agg(bytes, ''::bytea order by "offset")
          from ${blobChunks} where user_id = ${userId} and sha256 = ${sha256}
          on conflict do nothing
        )
        insert into ${userBlobs} (user_id, sha256) values (${userId}, ${sha256}) on conflict do nothing`);
    } finally {
      await this.db.delete(blobChunks).where(where);
    }
    return { complete: true, received };
  }

  /**
   * Whether parts of a file of `totalSize` bytes may be stored: refused (per-file limit, storage quota)
   * before any byte of it is read or kept; false when the user already holds the file (nothing to send).
   */
  async acceptsChunkedFile(userId: string, sha256: string, totalSize: number): Promise<boolean> {
    if (!Number.isSafeInteger(totalSize) || totalSize <= 0) throw new AppError('BAD_REQUEST', 'Give the whole file\'s size as total (bytes, at least 1).');
    if (totalSize > SITE_LIMITS.maxTotalBytes)
      throw new AppError('PAYLOAD_TOO_LARGE', `The file is ${formatBytes(totalSize)}; one file may be at most ${formatBytes(SITE_LIMITS.maxTotalBytes)} (a whole site's limit).`).withAction('fix-files');
    if ((await this.missing(userId, [sha256])).length === 0) return false;
    await this.assertRoom(userId, totalSize, sha256);
    return true;
  }

  /** Parts of uploads nobody finished: removed after `olderThanMs` (the daily cleanup). */
  async pruneStaleChunks(olderThanMs: number): Promise<number> {
    const removed = await this.db
      .delete(blobChunks)
      .where(sql`${blobChunks.createdAt} < now() - ${`${olderThanMs} milliseconds`}::interval`)
      .returning({ sha256: blobChunks.sha256 });
    return removed.length;
  }

  async getMany(sha256s: string[]): Promise<Map<string, Buffer>> {
    const unique = [...new Set(sha256s)];
    const found = new Map<string, Buffer>();
    // Slices keep each answer to a few MB.
    for (let i = 0; i < unique.length; i += 100) {
      const rows = await this.db.select({ sha256: blobs.sha256, bytes: blobs.bytes }).from(blobs).where(anyOf(blobs.sha256, unique.slice(i, i + 100)));
      for (const r of rows) found.set(r.sha256, r.bytes);
    }
    const missing = unique.find((h) => !found.has(h));
    if (missing) throw new AppError('NOT_FOUND', `The file with SHA-256 ${missing} is not stored. Upload it again.`);
    return found;
  }

  async sha1Many(sha256s: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(sha256s)];
    const found = new Map<string, string>();
    for (let i = 0; i < unique.length; i += SLICE) {
      const rows = await this.db.select({ sha256: blobs.sha256, sha1: blobs.sha1 }).from(blobs).where(anyOf(blobs.sha256, unique.slice(i, i + SLICE)));
      for (const r of rows) if (r.sha1) found.set(r.sha256, r.sha1);
    }
    // Blobs stored before SHA-1 was kept: hash them once now and remember.
    const unknown = unique.filter((h) => !found.has(h));
    if (unknown.length > 0) {
      const bytes = await this.getMany(unknown);
      for (const [sha256, b] of bytes) {
        const sha1 = sha1Hex(b);
        await this.db.update(blobs).set({ sha1 }).where(eq(blobs.sha256, sha256));
        found.set(sha256, sha1);
      }
    }
    return found;
  }

  async passedScan(sha256s: string[], version: string): Promise<Set<string>> {
    const passed = new Set<string>();
    for (let i = 0; i < sha256s.length; i += SLICE) {
      const rows = await this.db
        .select({ sha256: blobs.sha256 })
        .from(blobs)
        .where(and(anyOf(blobs.sha256, sha256s.slice(i, i + SLICE)), eq(blobs.scannedWith, version)));
      for (const r of rows) passed.add(r.sha256);
    }
    return passed;
  }

  async markScanned(sha256s: string[], version: string): Promise<void> {
    for (let i = 0; i < sha256s.length; i += SLICE) await this.db.update(blobs).set({ scannedWith: version }).where(anyOf(blobs.sha256, sha256s.slice(i, i + SLICE)));
  }

  async open(sha256: string): Promise<Readable> {
    return Readable.from([await this.get(sha256)]);
  }

  async get(sha256: string): Promise<Buffer> {
    const [row] = await this.db.select({ bytes: blobs.bytes }).from(blobs).where(eq(blobs.sha256, sha256));
    if (!row) throw new AppError('NOT_FOUND', `The file with SHA-256 ${sha256} is not stored. Upload it again.`);
    return row.bytes;
  }
}
