// File bytes, stored in the object store (server/storage: a folder or S3-compatible storage) as packs:
// the small files of one upload request in one object, a large file in one of its own. PostgreSQL keeps
// a row per pack, listing its files (pack-index.ts), for the user who uploaded them. Every file's hash is
// checked against its bytes, as they stream in, before it counts. This file takes bytes in (one file, a
// batch as one pack, within the user's storage quota); large files arrive in chunks (blob-chunks.ts);
// lookups and reads are BlobCatalog's (blob-catalog.ts).
import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { sql } from 'drizzle-orm';
import { formatBytes } from '@/lib/site-files';
import { rowsOf, type Db, type Tx } from '../db/client';
import { blobChunks, userStorage } from '../db/schema';
import { getEnv } from '../env';
import { AppError } from '../errors';
import { BlobCatalog, markUsed } from './blob-catalog';
import { acceptsChunkedFile, pruneStaleChunks, putChunk } from './blob-chunks';
import { newPackId, packKey, sha1Hex, sha256Hex } from './blob-keys';
import { encodeEntries, rememberEntries, type StoredPack } from './pack-index';

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

export interface ReceiveOptions {
  /** Refuse (with `tooLarge()`'s error) bytes beyond this many: nothing is stored then. */
  maxBytes?: number;
  tooLarge?: () => Error;
}

/** Bytes the user holds: their blobs (`user_storage`, kept by triggers), and the parts of large files still arriving. */
const bytesHeld = (userId: string, exceptChunksOf = '') => sql`
  coalesce((select s.bytes from ${userStorage} s where s.user_id = ${userId}), 0)
    + (select coalesce(sum(c.size), 0) from ${blobChunks} c where c.user_id = ${userId} and c.sha256 <> ${exceptChunksOf})`;

export class BlobStore extends BlobCatalog {
  /** Bytes the user holds (`bytesHeld`), but for the parts of `exceptChunksOf`. */
  async storageUsed(userId: string, exceptChunksOf?: string, db: Db | Tx = this.db): Promise<number> {
    const result = await db.execute(sql`select ${bytesHeld(userId, exceptChunksOf)} as used`);
    return Number(rowsOf<{ used: string | number }>(result)[0]?.used ?? 0);
  }

  /** Refuses (413) bytes that would take the user past their storage quota; nothing is stored then. */
  async assertRoom(userId: string, incomingBytes: number, exceptChunksOf?: string): Promise<void> {
    if (incomingBytes <= 0) return;
    assertRoomIn(await this.storageUsed(userId, exceptChunksOf), incomingBytes);
  }

  /**
   * Which of `sha256s` the user does not hold yet, and the bytes they hold (for the quota). The packs
   * holding the others are marked used: what the caller does next with them (a project's file, a
   * deployment) then keeps them, and a cleanup collecting one of those packs finds it fresh.
   */
  private async claim(userId: string, sha256s: string[], again = true): Promise<{ missing: Set<string>; used: number }> {
    const [located, used] = await Promise.all([this.locate(userId, sha256s), this.storageUsed(userId)]);
    const held = [...new Set(sha256s.filter((h) => located.has(h)))];
    // A pack the cleanup removed meanwhile: its files are looked up again (once: they are missing now).
    if (held.length > 0 && (await markUsed(this.db, userId, held, new Date())) < held.length && again) return this.claim(userId, sha256s, false);
    return { missing: new Set(sha256s.filter((h) => !located.has(h))), used };
  }

  /**
   * Takes bytes that must hash to `sha256` into an object of their own, hashing them as they stream; a
   * mismatch (or a body past `maxBytes`) stores nothing. `record` then gives it to a user: an object no
   * pack row names is collected by the cleanup after a day. Each object is new (its id is), so nothing
   * the cleanup is removing is ever written again.
   */
  async receive(sha256: string, body: Readable | Uint8Array, options: ReceiveOptions = {}): Promise<StoredPack> {
    const hashing = new Hashing();
    const source = body instanceof Uint8Array ? Readable.from([body]) : body;
    source.once('error', (err) => hashing.destroy(err));
    const id = newPackId();
    await this.objects.put(packKey(id), source.pipe(hashing), {
      maxBytes: options.maxBytes,
      tooLarge: options.tooLarge,
      beforeCommit: () => {
        const actual = hashing.digests().sha256;
        if (actual !== sha256) throw mismatch(sha256, actual);
      },
    });
    return { id, object: packKey(id), entries: [{ sha256, sha1: hashing.digests().sha1, offset: 0, size: hashing.size }] };
  }

  /**
   * Makes a stored object the user's (its pack row) if it fits their quota, checked again under a lock
   * on their storage row, in one round trip (`insert_pack_within_quota`, migration 0018): uploads sent
   * at once each passed the early check, and only what fits together is kept. Refused, the object is
   * removed. `exceptChunksOf`: the file whose parts it was joined from (still counted until removed).
   */
  async record(stored: StoredPack, holder: string, exceptChunksOf = ''): Promise<void> {
    const bytes = stored.entries.reduce((n, e) => n + e.size, 0);
    const { storageQuotaBytes: quota, storageMaxFiles: maxFiles } = getEnv();
    const [answer] = rowsOf<{ used: string | number; files: string | number; kept: boolean }>(
      await this.db.execute(
        sql`select used, files, kept from insert_pack_within_quota(${stored.id}, ${holder}, ${stored.object}, decode(${encodeEntries(stored.entries).toString('hex')}, 'hex'), ${bytes}, ${quota}, ${maxFiles}, ${exceptChunksOf})`,
      ),
    );
    if (answer?.kept) return rememberEntries(stored.id, stored.entries);
    await this.objects.delete(stored.object).catch(() => {}); // else the cleanup collects it after a day
    const [used, files] = [Number(answer?.used ?? 0), Number(answer?.files ?? 0)];
    throw files + stored.entries.length > maxFiles ? tooManyFilesHeld(files, maxFiles, stored.entries.length) : storageFull(used, quota, bytes);
  }

  /**
   * Runs `keep` (which adds `incoming` bytes for the user) in a transaction holding the user's storage
   * row locked, once the quota is checked in it: two uploads check and add one after the other (as
   * `record` does in one round trip for a pack row).
   */
  async withStorageLocked<T>(userId: string, incoming: number, exceptChunksOf: string | undefined, keep: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      // Made if the user has none yet, and locked either way (an upsert locks the row it meets).
      await tx.execute(sql`insert into ${userStorage} (user_id) values (${userId}) on conflict (user_id) do update set bytes = ${userStorage}.bytes`);
      // A statement of its own: its snapshot, taken after the lock, sees what the last holder added.
      const used = await this.storageUsed(userId, exceptChunksOf, tx);
      assertRoomIn(used, incoming);
      return keep(tx);
    });
  }

  /** Stores bytes that must hash to `sha256` (refused otherwise) as held by the user, within their quota. */
  async put(userId: string, sha256: string, bytes: Buffer): Promise<void> {
    const actual = sha256Hex(bytes);
    if (actual !== sha256) throw mismatch(sha256, actual);
    const { missing, used } = await this.claim(userId, [sha256]);
    if (missing.size === 0) return;
    assertRoomIn(used, bytes.length);
    await this.record(await this.receive(sha256, bytes), userId);
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
    await this.record(todo.length === 1 ? await this.receive(todo[0]!.sha256, todo[0]!.bytes) : await this.storePack(todo), userId);
  }

  /**
   * Files already checked against their hashes, stored as one pack: one object written (and synced)
   * instead of one per file, which is what makes thousands of small files cheap on either backend.
   */
  private async storePack(files: { sha256: string; bytes: Buffer }[]): Promise<StoredPack> {
    const id = newPackId();
    let offset = 0;
    const entries = files.map((f) => {
      const e = { sha256: f.sha256, sha1: sha1Hex(f.bytes), size: f.bytes.length, offset };
      offset += f.bytes.length;
      return e;
    });
    // The files' own buffers, written one after another: no joined copy of the pack in memory.
    await this.objects.put(
      packKey(id),
      files.map((f) => f.bytes),
    );
    return { id, object: packKey(id), entries };
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

function tooManyFilesHeld(held: number, max: number, incoming: number) {
  const n = (x: number) => x.toLocaleString('en-US');
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    `Storage full: you hold ${n(held)} files, and this upload adds ${n(incoming)}; one account may hold ${n(max)}. Delete sites or files you no longer need, then try again.`,
  ).withAction('fix-files');
}

function storageFull(used: number, quota: number, incoming: number) {
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    `Storage full: your files take ${formatBytes(used)} of your ${formatBytes(quota)}, and this upload needs ${formatBytes(incoming)} more. Delete sites or files you no longer need, then try again.`,
  ).withAction('fix-files');
}
