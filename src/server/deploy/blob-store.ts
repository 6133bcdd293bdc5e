// File bytes, stored once by SHA-256 in the object store (server/storage: a folder or S3-compatible
// storage), and what PostgreSQL knows of them: size, SHA-1, scan version, and who has proven to hold
// which. Every blob's hash is checked against its bytes, as they stream in, before it counts.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { and, asc, eq, sql, type Column } from 'drizzle-orm';
import { formatBytes, SITE_LIMITS } from '@/lib/site-files';
import type { Db } from '../db/client';
import { blobChunks, blobs, userBlobs } from '../db/schema';
import { getEnv } from '../env';
import { AppError } from '../errors';
import { getObjectStore } from '../storage/from-env';
import { ObjectNotFound, type ObjectStore } from '../storage/object-store';
import { blobReader, packKey, type BlobLocation, type BlobReader } from './blob-reader';
import { readLegacyBytes } from './legacy-blobs';

export { packKey, type BlobLocation, type BlobReader };

export const sha256Hex = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');
export const sha1Hex = (bytes: Buffer | Uint8Array) => createHash('sha1').update(bytes).digest('hex');

/** Where a blob's bytes live in the object store: sharded by hash prefix so no folder grows huge. */
export const blobKey = (sha256: string) => `blobs/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
const partKey = (userId: string, sha256: string, offset: number) => `parts/${userId}/${sha256}/${offset}`;

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

/** Long hash lists are asked in slices, so each answer stays small. */
const SLICE = 5000;

/** `column = any($1)`: one array parameter, where `inArray` would build one parameter per hash. */
const anyOf = (column: Column, values: string[]) => sql`${column} = any(${sql.param(values)}::text[])`;

const mismatch = (expected: string, actual: string, batch = false) =>
  new AppError(
    'BAD_REQUEST',
    `The uploaded bytes do not match their SHA-256 (expected ${expected}, got ${actual}). ${batch ? 'Nothing in this batch was stored; upload it again.' : 'Upload the file again.'}`,
  );

/** SHA-256 and SHA-1 of the bytes that pass through. */
class Hashing extends Transform {
  private readonly sha256: Hash = createHash('sha256');
  private readonly sha1: Hash = createHash('sha1');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void) {
    this.sha256.update(chunk);
    this.sha1.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }
  digests() {
    return { sha256: this.sha256.copy().digest('hex'), sha1: this.sha1.copy().digest('hex') };
  }
}

export interface Received {
  sha256: string;
  sha1: string;
  size: number;
  /** Set when the bytes went into a pack (see `packKey`). */
  pack?: string;
  packOffset?: number;
}

export interface ReceiveOptions {
  /** Refuse (with `tooLarge()`'s error) bytes beyond this many: nothing is stored then. */
  maxBytes?: number;
  tooLarge?: () => Error;
}

export class BlobStore {
  constructor(
    private readonly db: Db,
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

  /** Bytes the user holds: their blobs, and the parts of large files still arriving. */
  async storageUsed(userId: string, exceptChunksOf?: string): Promise<number> {
    const result = await this.db.execute(sql`
      select (select coalesce(sum(b.size), 0) from ${userBlobs} ub join ${blobs} b on b.sha256 = ub.sha256 where ub.user_id = ${userId})
           + (select coalesce(sum(c.size), 0) from ${blobChunks} c where c.user_id = ${userId} and c.sha256 <> ${exceptChunksOf ?? ''}) as used`);
    return Number((result as unknown as { rows: { used: string | number }[] }).rows[0]?.used ?? 0);
  }

  /** Refuses (413) bytes that would take the user past their storage quota; nothing is stored then. */
  async assertRoom(userId: string, incomingBytes: number, exceptChunksOf?: string): Promise<void> {
    if (incomingBytes <= 0) return;
    const quota = getEnv().storageQuotaBytes;
    const used = await this.storageUsed(userId, exceptChunksOf);
    if (used + incomingBytes > quota) throw storageFull(used, quota, incomingBytes);
  }

  /**
   * Takes bytes that must hash to `sha256` into the object store, hashing them as they stream; a
   * mismatch (or a body past `maxBytes`) stores nothing. `record` then makes the blob known, and
   * `grant` gives it to a user: blobs nobody holds are collected by the cleanup.
   */
  async receive(sha256: string, body: Readable | Uint8Array, options: ReceiveOptions = {}): Promise<Received> {
    const hashing = new Hashing();
    const source = body instanceof Uint8Array ? Readable.from([body]) : body;
    source.once('error', (err) => hashing.destroy(err));
    // A blob the cleanup is collecting: its row is touched (or found gone, once the cleanup has also
    // removed its object) before these bytes become visible, so they are never removed after.
    const touched = this.touch(sha256);
    touched.catch(() => {});
    await this.objects.put(blobKey(sha256), source.pipe(hashing), {
      maxBytes: options.maxBytes,
      tooLarge: options.tooLarge,
      beforeCommit: async () => {
        const actual = hashing.digests().sha256;
        if (actual !== sha256) throw mismatch(sha256, actual);
        await touched;
      },
    });
    return { sha256, sha1: hashing.digests().sha1, size: hashing.size };
  }

  /** Makes received blobs known (size, SHA-1, place), in few statements. */
  async record(received: Received[]): Promise<void> {
    const unique = [...new Map(received.map((r) => [r.sha256, r])).values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
    // Arrays through unnest: building thousands of rows with the query builder costs more CPU than
    // the database spends inserting them. A blob already known moves to the copy just stored: bytes
    // uploaded again heal a lost copy; the cleanup removes a pack once no row names it.
    for (let i = 0; i < unique.length; i += SLICE) {
      const slice = unique.slice(i, i + SLICE);
      await this.db.execute(sql`
        insert into ${blobs} (sha256, sha1, size, pack, pack_offset)
        select * from unnest(
          ${sql.param(slice.map((r) => r.sha256))}::text[],
          ${sql.param(slice.map((r) => r.sha1))}::text[],
          ${sql.param(slice.map((r) => r.size))}::bigint[],
          ${sql.param(slice.map((r) => r.pack ?? null))}::uuid[],
          ${sql.param(slice.map((r) => r.packOffset ?? null))}::bigint[])
        on conflict (sha256) do update set created_at = now(), pack = excluded.pack, pack_offset = excluded.pack_offset`);
    }
  }

  /** Records that the user holds these (received) blobs. */
  async grant(userId: string, sha256s: string[]): Promise<void> {
    // In hash order: two grants sharing blobs take their row locks in the same order (no deadlock).
    const unique = [...new Set(sha256s)].sort();
    for (let i = 0; i < unique.length; i += SLICE)
      await this.db.execute(sql`
        insert into ${userBlobs} (user_id, sha256)
        select ${userId}::uuid, * from unnest(${sql.param(unique.slice(i, i + SLICE))}::text[])
        on conflict do nothing`);
  }

  /** Touches blob rows, batching the calls of one moment into one statement. */
  private touch(sha256: string): Promise<void> {
    if (!this.touching) {
      const batch = { hashes: [] as string[], done: null as unknown as Promise<void> };
      batch.done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.touching = undefined;
        for (let i = 0; i < batch.hashes.length; i += SLICE)
          await this.db
            .update(blobs)
            .set({ createdAt: sql`now()` })
            .where(anyOf(blobs.sha256, batch.hashes.slice(i, i + SLICE)));
      });
      this.touching = batch;
    }
    this.touching.hashes.push(sha256);
    return this.touching.done;
  }
  private touching: { hashes: string[]; done: Promise<void> } | undefined;

  /** Stores bytes that must hash to `sha256` (refused otherwise) as held by the user, within their quota. */
  async put(userId: string, sha256: string, bytes: Buffer): Promise<void> {
    const actual = sha256Hex(bytes);
    if (actual !== sha256) throw mismatch(sha256, actual);
    if ((await this.missing(userId, [sha256])).length === 0) return;
    await this.assertRoom(userId, bytes.length);
    await this.record([await this.receive(sha256, bytes)]);
    await this.grant(userId, [sha256]);
  }

  /** Many small files at once; one wrong hash refuses the whole batch before anything is stored. */
  async putMany(userId: string, files: { sha256: string; bytes: Buffer; /** Already computed while reading. */ digest?: string }[]): Promise<void> {
    for (const f of files) {
      const actual = f.digest ?? sha256Hex(f.bytes);
      if (actual !== f.sha256) throw mismatch(f.sha256, actual, true);
    }
    const unique = [...new Map(files.map((f) => [f.sha256, f])).values()];
    const missing = new Set(
      await this.missing(
        userId,
        unique.map((f) => f.sha256),
      ),
    );
    const todo = unique.filter((f) => missing.has(f.sha256));
    await this.assertRoom(
      userId,
      todo.reduce((n, f) => n + f.bytes.length, 0),
    );
    if (todo.length === 0) return;
    await this.record(todo.length === 1 ? [await this.receive(todo[0]!.sha256, todo[0]!.bytes)] : await this.storePack(todo));
    await this.grant(
      userId,
      todo.map((f) => f.sha256),
    );
  }

  /**
   * Files already checked against their hashes, stored as one pack: one object written (and synced)
   * instead of one per file, which is what makes thousands of small files cheap on either backend.
   */
  private async storePack(files: { sha256: string; bytes: Buffer }[]): Promise<Received[]> {
    const pack = newPackId();
    let offset = 0;
    const received = files.map((f) => {
      const r = { sha256: f.sha256, sha1: sha1Hex(f.bytes), size: f.bytes.length, pack, packOffset: offset };
      offset += f.bytes.length;
      return r;
    });
    // As `receive`: blobs the cleanup may be collecting are touched before the bytes become visible.
    await Promise.all(files.map((f) => this.touch(f.sha256)));
    await this.objects.put(
      packKey(pack),
      Buffer.concat(
        files.map((f) => f.bytes),
        offset,
      ),
    );
    return received;
  }

  /**
   * One part of a large file. The declared total is checked (per-file limit, storage quota) before any
   * byte is stored; each part is an object of its own and, once all have arrived, they are read back
   * in order, hashed as they stream into the whole blob, and removed: never held whole in memory.
   */
  async putChunk(userId: string, sha256: string, offset: number, totalSize: number, body: Readable | Buffer) {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(totalSize) || offset < 0 || totalSize <= 0 || offset >= totalSize)
      throw new AppError('BAD_REQUEST', 'The chunk does not fit its file: check offset and total size.');
    if (Buffer.isBuffer(body)) {
      if (offset + body.length > totalSize) throw new AppError('BAD_REQUEST', 'The chunk does not fit its file: check offset and total size.');
      if (body.length === 0 || body.length > SITE_LIMITS.maxUploadRequestBytes) throw new AppError('PAYLOAD_TOO_LARGE', 'Send each chunk with 1 byte to 4 MB.');
    }
    if (!(await this.acceptsChunkedFile(userId, sha256, totalSize))) {
      if (body instanceof Readable) body.resume();
      return { complete: true, received: totalSize };
    }
    const where = and(eq(blobChunks.userId, userId), eq(blobChunks.sha256, sha256));
    const limit = Math.min(SITE_LIMITS.maxUploadRequestBytes, totalSize - offset);
    const size = await this.objects.put(partKey(userId, sha256, offset), body, {
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
    const stale = await this.db
      .delete(blobChunks)
      .where(and(where, sql`${blobChunks.totalSize} <> ${totalSize}`))
      .returning({ offset: blobChunks.offset });
    await this.deleteParts(
      userId,
      sha256,
      stale.map((p) => p.offset).filter((o) => o !== offset),
    );
    await this.db
      .insert(blobChunks)
      .values({ userId, sha256, offset, totalSize, size })
      .onConflictDoUpdate({ target: [blobChunks.userId, blobChunks.sha256, blobChunks.offset], set: { size, totalSize } });
    const parts = await this.db.select({ offset: blobChunks.offset, size: blobChunks.size }).from(blobChunks).where(where).orderBy(asc(blobChunks.offset));
    const received = parts.reduce((n, p) => n + p.size, 0);
    if (received < totalSize) return { complete: false, received };

    try {
      let expected = 0;
      for (const part of parts) {
        if (part.offset !== expected) throw new AppError('BAD_REQUEST', 'The chunks of this file overlap or leave gaps. Upload the file again from the start.');
        expected += part.size;
      }
      const objects = this.objects;
      const whole = Readable.from(
        (async function* () {
          for (const part of parts) yield* await objects.get(partKey(userId, sha256, part.offset));
        })(),
      );
      await this.record([await this.receive(sha256, whole)]);
      await this.grant(userId, [sha256]);
    } finally {
      await this.db.delete(blobChunks).where(where);
      await this.deleteParts(
        userId,
        sha256,
        parts.map((p) => p.offset),
      );
    }
    return { complete: true, received };
  }

  private async deleteParts(userId: string, sha256: string, offsets: number[]) {
    for (const offset of offsets) await this.objects.delete(partKey(userId, sha256, offset));
  }

  /**
   * Whether parts of a file of `totalSize` bytes may be stored: refused (per-file limit, storage quota)
   * before any byte of it is read or kept; false when the user already holds the file (nothing to send).
   */
  async acceptsChunkedFile(userId: string, sha256: string, totalSize: number): Promise<boolean> {
    if (!Number.isSafeInteger(totalSize) || totalSize <= 0) throw new AppError('BAD_REQUEST', "Give the whole file's size as total (bytes, at least 1).");
    if (totalSize > SITE_LIMITS.maxTotalBytes)
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `The file is ${formatBytes(totalSize)}; one file may be at most ${formatBytes(SITE_LIMITS.maxTotalBytes)} (a whole site's limit).`,
      ).withAction('fix-files');
    if ((await this.missing(userId, [sha256])).length === 0) return false;
    await this.assertRoom(userId, totalSize, sha256);
    return true;
  }

  /** Parts of uploads nobody finished: removed after `olderThanMs` (the daily cleanup). */
  async pruneStaleChunks(olderThanMs: number): Promise<number> {
    const removed = await this.db
      .delete(blobChunks)
      .where(sql`${blobChunks.createdAt} < now() - ${`${olderThanMs} milliseconds`}::interval`)
      .returning({ userId: blobChunks.userId, sha256: blobChunks.sha256, offset: blobChunks.offset });
    for (const p of removed) await this.objects.delete(partKey(p.userId, p.sha256, p.offset));
    return removed.length;
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
    const chunks: Buffer[] = [];
    for await (const chunk of await this.open(sha256)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
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
    for (let i = 0; i < sha256s.length; i += SLICE)
      await this.db
        .update(blobs)
        .set({ scannedWith: version })
        .where(anyOf(blobs.sha256, sha256s.slice(i, i + SLICE)));
  }
}

function storageFull(used: number, quota: number, incoming: number) {
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    `Storage full: your files take ${formatBytes(used)} of your ${formatBytes(quota)}, and this upload needs ${formatBytes(incoming)} more. Delete sites or files you no longer need, then try again.`,
  ).withAction('fix-files');
}
