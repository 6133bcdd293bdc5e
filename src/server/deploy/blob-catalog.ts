// What is stored, and reading it: which files a user holds and where their bytes are (a range of one
// of their packs: pack-index.ts), the SHA-1 some platforms address files by, and which files passed the
// content scan under which mark. Every lookup is a user's: the same bytes uploaded by two users are
// two holdings. Bytes come in through BlobStore (blob-store.ts), which extends this.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql, type Column } from 'drizzle-orm';
import { rowsOf, type Db, type Tx } from '../db/client';
import { AppError } from '../errors';
import { getObjectStore } from '../storage/from-env';
import { ObjectNotFound, readAll, type ObjectStore } from '../storage/object-store';
import { blobReader, type BlobReader } from './blob-reader';
import { readLegacyBytes } from './legacy-blobs';
import { locateHeld, type BlobLocation } from './pack-index';

/** `column = any($1)`: one array parameter, where `inArray` would build one parameter per hash. */
export const anyOf = (column: Column, values: string[]) => sql`${column} = any(${sql.param(values)}::text[])`;

/** A row (a pack, a manifest) marked used this recently is not marked again: the cleanup waits a day. */
export const MARKED_RECENTLY_MS = 60 * 60 * 1000;

/**
 * Marks the user's packs holding `sha256s` used now (those not marked within the hour) and answers how
 * many of the files are still held. In a deployment's transaction the packs are locked against
 * removal until it ends (a cleanup's delete waits, then finds them fresh and keeps them), and one the
 * cleanup removed since the lookup is not counted. Files whose pack the cleanup wrote again elsewhere
 * meanwhile are looked up once more.
 */
export async function markUsed(db: Db | Tx, userId: string, sha256s: string[], now: Date): Promise<number> {
  const unique = [...new Set(sha256s)];
  if (unique.length === 0) return 0;
  for (let attempt = 0; ; attempt++) {
    const located = await locateHeld(db, userId, unique);
    const packs = [...new Set([...located.values()].map((l) => l.pack))];
    // Locked, then marked, in one statement. Locked first: an update of a row another transaction is
    // marking would skip it (fresh by then) while the statement's snapshot still saw it old, and count it
    // as gone. One statement: outside a transaction (a project's save) a lock ends with its statement, and
    // a cleanup could remove the pack between a lock and a mark of their own.
    const present = new Set(
      packs.length === 0
        ? []
        : rowsOf<{ id: string }>(
            await db.execute(sql`
              with locked as (select id, created_at from packs where id = any(${sql.param(packs)}::uuid[]) for key share),
              marked as (update packs set created_at = ${now} where id in (select id from locked where created_at < ${new Date(now.getTime() - MARKED_RECENTLY_MS)}))
              select id from locked`),
          ).map((r) => r.id),
    );
    const held = [...located.values()].filter((l) => present.has(l.pack)).length;
    if (held === unique.length || attempt > 0) return held;
  }
}

export class BlobCatalog {
  constructor(
    readonly db: Db,
    readonly objects: ObjectStore = getObjectStore(),
  ) {}

  /** The hashes among `hashes` that this user has not uploaded yet. */
  async missing(userId: string, hashes: string[]): Promise<string[]> {
    const held = await this.locate(userId, hashes);
    return [...new Set(hashes)].filter((h) => !held.has(h));
  }

  /** The stored size of each of `hashes` this user holds (SHA-256 → bytes); the others are absent. */
  async heldSizes(userId: string, hashes: string[]): Promise<Map<string, number>> {
    const held = new Map<string, number>();
    for (const [sha256, at] of await this.locate(userId, hashes)) held.set(sha256, at.size);
    return held;
  }

  /** Where each of `sha256s` the user holds is stored (SHA-256 → location); the others are absent. */
  locate(userId: string, sha256s: string[]): Promise<Map<string, BlobLocation>> {
    return locateHeld(this.db, userId, sha256s);
  }

  /**
   * One of the user's files as a stream (a fresh one each call). A file an older install kept in the
   * database is read from there until `npm run blobs:migrate` has moved it.
   */
  async open(userId: string, sha256: string): Promise<Readable> {
    return this.openAt(sha256, (await this.locate(userId, [sha256])).get(sha256));
  }

  /** A reader for many of the user's files (a deployment's): see blob-reader.ts. */
  reader(userId: string, sha256s: string[]): BlobReader {
    return blobReader({ objects: this.objects, locate: (hashes) => this.locate(userId, hashes), openAt: (sha, at) => this.openAt(sha, at) }, sha256s);
  }

  /** One file read on its own, from where it is (`locate`); an older install's row as the fallback. */
  async openAt(sha256: string, at: BlobLocation | undefined): Promise<Readable> {
    if (at?.size === 0) return Readable.from([]);
    try {
      if (at) return await this.objects.get(at.object, { start: at.offset, end: at.offset + at.size - 1 });
    } catch (err) {
      if (!(err instanceof ObjectNotFound)) throw err;
      const legacy = await readLegacyBytes(this.db, sha256);
      if (legacy) return Readable.from([legacy]);
      // The object is lost (a store restored from an older backup, a key removed by hand), as the store
      // confirms: the row goes too, so the next negotiate asks for its files and an upload heals them.
      // Unless the store holds none of the objects other rows name: then it is not this database's store
      // (a volume not mounted, BLOB_DIR or S3_BUCKET pointing elsewhere), and removing rows would lose
      // every file it reads, for good once the cleanup sweeps their objects as no row's.
      if ((await this.objects.size(at!.object)) === null) {
        if (!(await this.holdsOtherObjects(at!.pack)))
          throw new Error(
            `The object store (${this.objects.kind}) holds none of the objects the database names, ${at!.object} among them: is BLOB_DIR (or S3_BUCKET) this install's, and its volume mounted? Nothing was removed.`,
          );
        console.error(`[blobs] the object ${at!.object} of pack ${at!.pack} is missing from the store; its row is removed, its files will be asked for again`);
        await this.db.execute(sql`delete from packs where id = ${at!.pack} and object = ${at!.object}`);
      }
    }
    throw new AppError('NOT_FOUND', `The file with SHA-256 ${sha256} is not stored. Upload it again.`);
  }

  /**
   * Whether the store holds any of a few objects other rows name: packs and manifests (a deployment's
   * manifest is an object too, so an install of one pack has one to ask), the oldest and the newest (a
   * store restored from an older backup lacks the newest only). None to ask: no answer either way.
   */
  private async holdsOtherObjects(except: string): Promise<boolean> {
    const others = rowsOf<{ object: string }>(
      await this.db.execute(sql`
        (select object from packs where id <> ${except} order by created_at asc limit 2)
        union (select object from packs where id <> ${except} order by created_at desc limit 2)
        union (select object from manifests where object is not null order by created_at asc limit 2)
        union (select object from manifests where object is not null order by created_at desc limit 2)`),
    );
    for (const { object } of others) if ((await this.objects.size(object)) !== null) return true;
    return false;
  }

  /** One file's bytes, whole: for small reads (a `_redirects` file, the editor); uploads stream with `open`. */
  async get(userId: string, sha256: string): Promise<Buffer> {
    return readAll(await this.open(userId, sha256));
  }

  /** The SHA-1 of each of the user's files (SHA-256 → SHA-1): kept since upload, or computed now from the bytes. */
  async sha1Many(userId: string, sha256s: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const located = await this.locate(userId, sha256s);
    for (const sha256 of new Set(sha256s)) {
      const at = located.get(sha256);
      if (at?.sha1) {
        found.set(sha256, at.sha1);
        continue;
      }
      // An older install's file stored before SHA-1 was kept: hashed from its bytes.
      const hash = createHash('sha1');
      for await (const chunk of await this.openAt(sha256, at)) hash.update(chunk as Buffer);
      found.set(sha256, hash.digest('hex'));
    }
    return found;
  }

  /** Those of `sha256s` that have not passed the scan under `mark` among the user's files. */
  async notPassedScan(userId: string, sha256s: string[], mark: string): Promise<Set<string>> {
    const located = await this.locate(userId, sha256s);
    const packs = [...new Set([...located.values()].map((l) => l.pack))];
    const passed = new Map<string, string>();
    if (packs.length > 0)
      for (const r of rowsOf<{ pack: string; passed: string }>(
        await this.db.execute(sql`select pack, passed::text as passed from pack_scans where mark = ${mark} and pack = any(${sql.param(packs)}::uuid[])`),
      ))
        passed.set(r.pack, r.passed);
    return new Set(
      sha256s.filter((sha256) => {
        const at = located.get(sha256);
        return !at || passed.get(at.pack)?.[at.index] !== '1';
      }),
    );
  }

  /** The scan's memory of one user's files, as the scans take it (scan/site-scan.ts's `ScanStore`). */
  scanMarks(userId: string) {
    return {
      notPassedScan: (sha256s: string[], mark: string) => this.notPassedScan(userId, sha256s, mark),
      markScanned: (sha256s: string[], mark: string) => this.markScanned(userId, sha256s, mark),
    };
  }

  /** Remembers that these of the user's files passed the scan under `mark` (bits only ever set). */
  async markScanned(userId: string, sha256s: string[], mark: string): Promise<void> {
    const byPack = new Map<string, string[]>();
    for (const at of (await this.locate(userId, sha256s)).values()) {
      const bits = byPack.get(at.pack) ?? Array<string>(at.files).fill('0');
      bits[at.index] = '1';
      byPack.set(at.pack, bits);
    }
    if (byPack.size === 0) return;
    // In pack order: two scans marking the same packs take their row locks in the same order.
    const packs = [...byPack.keys()].sort();
    await this.db.execute(sql`
      insert into pack_scans (pack, mark, passed)
      select s.pack, ${mark}, s.bits::varbit from unnest(${sql.param(packs)}::uuid[], ${sql.param(packs.map((p) => byPack.get(p)!.join('')))}::text[]) as s(pack, bits)
      where exists (select 1 from packs p where p.id = s.pack for key share)
      on conflict (pack, mark) do update set passed = pack_scans.passed | excluded.passed`);
  }
}
