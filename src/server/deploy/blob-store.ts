// File bytes, stored once by SHA-256 in Postgres (bytea), and who has proven to hold which.
// Every blob's hash is checked against its bytes before it counts.
import { createHash } from 'node:crypto';
import { and, asc, eq, sql, type Column } from 'drizzle-orm';
import { SITE_LIMITS } from '@/lib/site-files';
import type { Db } from '../db/client';
import { blobChunks, blobs, userBlobs } from '../db/schema';
import { AppError } from '../errors';

export interface BlobStore {
  /** The hashes among `hashes` that this user has not uploaded yet. */
  missing(userId: string, hashes: string[]): Promise<string[]>;
  /** Stores bytes that must hash to `sha256`; refuses them otherwise. */
  put(userId: string, sha256: string, bytes: Buffer): Promise<void>;
  /** Many small files at once (one statement); one wrong hash refuses the whole batch. */
  putMany(userId: string, files: { sha256: string; bytes: Buffer }[]): Promise<void>;
  /** One part of a file larger than an upload request; the last part completes and verifies it. */
  putChunk(userId: string, sha256: string, offset: number, totalSize: number, bytes: Buffer): Promise<{ complete: boolean; received: number }>;
  get(sha256: string): Promise<Buffer>;
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
    const unique = [...new Set(hashes)];
    const held = new Set<string>();
    for (let i = 0; i < unique.length; i += SLICE) {
      const rows = await this.db
        .select({ sha256: userBlobs.sha256 })
        .from(userBlobs)
        .where(and(eq(userBlobs.userId, userId), anyOf(userBlobs.sha256, unique.slice(i, i + SLICE))));
      for (const r of rows) held.add(r.sha256);
    }
    return unique.filter((h) => !held.has(h));
  }

  async put(userId: string, sha256: string, bytes: Buffer): Promise<void> {
    const actual = sha256Hex(bytes);
    if (actual !== sha256)
      throw new AppError('BAD_REQUEST', `The uploaded bytes do not match their SHA-256 (expected ${sha256}, got ${actual}). Upload the file again.`);
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

  async putChunk(userId: string, sha256: string, offset: number, totalSize: number, bytes: Buffer) {
    if (!Number.isInteger(offset) || !Number.isInteger(totalSize) || offset < 0 || totalSize <= 0 || offset + bytes.length > totalSize)
      throw new AppError('BAD_REQUEST', 'The chunk does not fit its file: check offset and total size.');
    if (bytes.length === 0 || bytes.length > SITE_LIMITS.maxUploadRequestBytes)
      throw new AppError('PAYLOAD_TOO_LARGE', 'Send each chunk with 1 byte to 4 MB.');
    await this.db
      .insert(blobChunks)
      .values({ userId, sha256, offset, totalSize, bytes })
      .onConflictDoUpdate({ target: [blobChunks.userId, blobChunks.sha256, blobChunks.offset], set: { bytes, totalSize } });
    const where = and(eq(blobChunks.userId, userId), eq(blobChunks.sha256, sha256));
    const [sum] = await this.db.select({ received: sql<string>`coalesce(sum(octet_length(${blobChunks.bytes})), 0)` }).from(blobChunks).where(where);
    const received = Number(sum?.received ?? 0);
    if (received < totalSize) return { complete: false, received };

    const parts = await this.db.select({ offset: blobChunks.offset, bytes: blobChunks.bytes }).from(blobChunks).where(where).orderBy(asc(blobChunks.offset));
    let expected = 0;
    for (const part of parts) {
      if (part.offset !== expected) throw new AppError('BAD_REQUEST', 'The chunks of this file overlap or leave gaps. Upload the file again from the start.');
      expected += part.bytes.length;
    }
    try {
      await this.put(userId, sha256, Buffer.concat(parts.map((p) => p.bytes)));
    } finally {
      await this.db.delete(blobChunks).where(where);
    }
    return { complete: true, received };
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

  async get(sha256: string): Promise<Buffer> {
    const [row] = await this.db.select({ bytes: blobs.bytes }).from(blobs).where(eq(blobs.sha256, sha256));
    if (!row) throw new AppError('NOT_FOUND', `The file with SHA-256 ${sha256} is not stored. Upload it again.`);
    return row.bytes;
  }
}
