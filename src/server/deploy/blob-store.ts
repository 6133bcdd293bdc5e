// File bytes, stored once by SHA-256 in the object store (server/storage: a folder or S3-compatible
// storage), and what PostgreSQL knows of them: size, SHA-1, scan version, and who has proven to hold
// which. Every blob's hash is checked against its bytes, as they stream in, before it counts. This
// file takes bytes in (one file, a batch as one pack, within the user's storage quota); large files
// arrive in chunks (blob-chunks.ts); lookups and reads are BlobCatalog's (blob-catalog.ts).
import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { sql } from 'drizzle-orm';
import { formatBytes } from '@/lib/site-files';
import { blobChunks, blobs, userBlobs, userStorage } from '../db/schema';
import { getEnv } from '../env';
import { AppError } from '../errors';
import { anyOf, BlobCatalog, SLICE } from './blob-catalog';
import { acceptsChunkedFile, pruneStaleChunks, putChunk } from './blob-chunks';
import { blobKey, newPackId, packKey, sha1Hex, sha256Hex } from './blob-keys';

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
  /** The blob's row was just touched (`claim`): not again. */
  claimed?: boolean;
}

/** Bytes the user holds: their blobs (`user_storage`, kept by triggers), and the parts of large files still arriving. */
const bytesHeld = (userId: string, exceptChunksOf = '') => sql`
  coalesce((select s.bytes from ${userStorage} s where s.user_id = ${userId}), 0)
    + (select coalesce(sum(c.size), 0) from ${blobChunks} c where c.user_id = ${userId} and c.sha256 <> ${exceptChunksOf})`;

export class BlobStore extends BlobCatalog {
  /** Bytes the user holds (`bytesHeld`), but for the parts of `exceptChunksOf`. */
  async storageUsed(userId: string, exceptChunksOf?: string): Promise<number> {
    const result = await this.db.execute(sql`select ${bytesHeld(userId, exceptChunksOf)} as used`);
    return Number((result as unknown as { rows: { used: string | number }[] }).rows[0]?.used ?? 0);
  }

  /** Refuses (413) bytes that would take the user past their storage quota; nothing is stored then. */
  async assertRoom(userId: string, incomingBytes: number, exceptChunksOf?: string): Promise<void> {
    if (incomingBytes <= 0) return;
    assertRoomIn(await this.storageUsed(userId, exceptChunksOf), incomingBytes);
  }

  /**
   * Before storing a batch, in one statement: which of `sha256s` the user does not hold yet, the bytes
   * they hold (for the quota), and those blobs' rows touched, so that a cleanup collecting one of them
   * finds it fresh (or has already removed it) before these bytes become visible (a data-modifying
   * WITH runs whether or not the query reads it). Rows are locked in
   * hash order, so two uploads sharing files cannot deadlock. An upload request made these three
   * round trips one after another; under load each took 10–80 ms.
   */
  private async claim(userId: string, sha256s: string[]): Promise<{ missing: Set<string>; used: number }> {
    const result = (await this.db.execute(sql`
      with missing as (
        select w.sha256 from unnest(${sql.param(sha256s)}::text[]) as w(sha256)
        where not exists (select 1 from ${userBlobs} ub where ub.user_id = ${userId} and ub.sha256 = w.sha256)),
      locked as (select b.sha256 from ${blobs} b join missing using (sha256) order by b.sha256 for update of b),
      touched as (update ${blobs} set created_at = now() from locked where ${blobs}.sha256 = locked.sha256)
      select (select coalesce(array_agg(sha256), '{}') from missing) as missing, ${bytesHeld(userId)} as used`)) as unknown as {
      rows: { missing: string[]; used: string | number }[];
    };
    const row = result.rows[0]!;
    return { missing: new Set(row.missing), used: Number(row.used) };
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
    const touched = options.claimed ? Promise.resolve() : this.touch(sha256);
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

  /** Makes received blobs known (size, SHA-1, place) and held by `holder`, in few statements. */
  async record(received: Received[], holder: string): Promise<void> {
    // In hash order: two uploads sharing blobs take their row locks in the same order (no deadlock).
    const unique = [...new Map(received.map((r) => [r.sha256, r])).values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
    // Arrays through unnest: building thousands of rows with the query builder costs more CPU than
    // the database spends inserting them. A blob already known moves to the copy just stored: bytes
    // uploaded again heal a lost copy; the cleanup removes a pack once no row names it. The holding is
    // written by the same statement (its foreign key is checked at the statement's end, rows included).
    for (let i = 0; i < unique.length; i += SLICE) {
      const slice = unique.slice(i, i + SLICE);
      await this.db.execute(sql`
        with recorded as (
          insert into ${blobs} (sha256, sha1, size, pack, pack_offset)
          select * from unnest(
            ${sql.param(slice.map((r) => r.sha256))}::text[],
            ${sql.param(slice.map((r) => r.sha1))}::text[],
            ${sql.param(slice.map((r) => r.size))}::bigint[],
            ${sql.param(slice.map((r) => r.pack ?? null))}::uuid[],
            ${sql.param(slice.map((r) => r.packOffset ?? null))}::bigint[])
          on conflict (sha256) do update set created_at = now(), pack = excluded.pack, pack_offset = excluded.pack_offset
          returning sha256)
        insert into ${userBlobs} (user_id, sha256)
        select ${holder}::uuid, sha256 from recorded order by sha256
        on conflict do nothing`);
    }
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
    const { missing, used } = await this.claim(userId, [sha256]);
    if (missing.size === 0) return;
    assertRoomIn(used, bytes.length);
    await this.record([await this.receive(sha256, bytes, { claimed: true })], userId);
  }

  /** Many small files at once; one wrong hash refuses the whole batch before anything is stored. */
  async putMany(userId: string, files: { sha256: string; bytes: Buffer; /** Already computed while reading. */ digest?: string }[]): Promise<void> {
    for (const f of files) {
      const actual = f.digest ?? sha256Hex(f.bytes);
      if (actual !== f.sha256) throw mismatch(f.sha256, actual, true);
    }
    const unique = [...new Map(files.map((f) => [f.sha256, f])).values()];
    const { missing, used } = await this.claim(
      userId,
      unique.map((f) => f.sha256),
    );
    const todo = unique.filter((f) => missing.has(f.sha256));
    if (todo.length === 0) return;
    assertRoomIn(
      used,
      todo.reduce((n, f) => n + f.bytes.length, 0),
    );
    await this.record(todo.length === 1 ? [await this.receive(todo[0]!.sha256, todo[0]!.bytes, { claimed: true })] : await this.storePack(todo), userId);
  }

  /**
   * Files already checked against their hashes (and their rows touched by `claim`), stored as one
   * pack: one object written (and synced) instead of one per file, which is what makes thousands of
   * small files cheap on either backend.
   */
  private async storePack(files: { sha256: string; bytes: Buffer }[]): Promise<Received[]> {
    const pack = newPackId();
    let offset = 0;
    const received = files.map((f) => {
      const r = { sha256: f.sha256, sha1: sha1Hex(f.bytes), size: f.bytes.length, pack, packOffset: offset };
      offset += f.bytes.length;
      return r;
    });
    // The files' own buffers, written one after another: no joined copy of the pack in memory.
    await this.objects.put(
      packKey(pack),
      files.map((f) => f.bytes),
    );
    return received;
  }

  /** One part of a large file (see blob-chunks.ts). */
  putChunk(userId: string, sha256: string, offset: number, totalSize: number, body: Readable | Buffer) {
    return putChunk(this, userId, sha256, offset, totalSize, body);
  }

  /** Whether parts of a file of `totalSize` bytes may be stored (see blob-chunks.ts). */
  acceptsChunkedFile(userId: string, sha256: string, totalSize: number): Promise<boolean> {
    return acceptsChunkedFile(this, userId, sha256, totalSize);
  }

  /** Parts of uploads nobody finished: removed after `olderThanMs` (the daily cleanup). */
  pruneStaleChunks(olderThanMs: number): Promise<number> {
    return pruneStaleChunks(this, olderThanMs);
  }
}

/** Refuses (413) `incoming` bytes over the `used` ones past the user's storage quota. */
function assertRoomIn(used: number, incoming: number): void {
  const quota = getEnv().storageQuotaBytes;
  if (incoming > 0 && used + incoming > quota) throw storageFull(used, quota, incoming);
}

function storageFull(used: number, quota: number, incoming: number) {
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    `Storage full: your files take ${formatBytes(used)} of your ${formatBytes(quota)}, and this upload needs ${formatBytes(incoming)} more. Delete sites or files you no longer need, then try again.`,
  ).withAction('fix-files');
}
