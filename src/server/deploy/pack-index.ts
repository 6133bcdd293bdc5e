// What a user holds, from their pack rows (schema/blobs.ts): each row's `entries` list the files of one
// stored object, 60 bytes each. Entries never change once written, so this process keeps those it
// read lately by pack id; a lookup then reads only the user's pack ids (and the entries of packs it has
// not seen), and finds each hash in a map built from them.
import { sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { rowsOf, type Db, type Tx } from '../db/client';
import { byteaBuffer } from '../db/schema/columns';

/** One file of a pack: where its bytes are in the pack's object. `sha1` is '' when unknown (an older install's). */
export interface PackEntry {
  sha256: string;
  sha1: string;
  offset: number;
  size: number;
}

/** SHA-256 (32) · SHA-1 (20) · offset (uint32 BE) · size (uint32 BE). */
export const ENTRY_BYTES = 60;
const NO_SHA1 = '0'.repeat(40);

export function encodeEntries(entries: readonly PackEntry[]): Buffer {
  const out = Buffer.alloc(entries.length * ENTRY_BYTES);
  entries.forEach((e, i) => {
    const at = i * ENTRY_BYTES;
    out.write(e.sha256, at, 32, 'hex');
    out.write(e.sha1 || NO_SHA1, at + 32, 20, 'hex');
    out.writeUInt32BE(e.offset, at + 52);
    out.writeUInt32BE(e.size, at + 56);
  });
  return out;
}

export function decodeEntries(bytes: Uint8Array): PackEntry[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length % ENTRY_BYTES !== 0) throw new Error(`A pack's entries are ${buf.length} bytes, not a multiple of ${ENTRY_BYTES}.`);
  const out: PackEntry[] = [];
  for (let at = 0; at < buf.length; at += ENTRY_BYTES) {
    const sha1 = buf.toString('hex', at + 32, at + 52);
    out.push({
      sha256: buf.toString('hex', at, at + 32),
      sha1: sha1 === NO_SHA1 ? '' : sha1,
      offset: buf.readUInt32BE(at + 52),
      size: buf.readUInt32BE(at + 56),
    });
  }
  return out;
}

/** An object just stored, and the files it holds: a pack row once `insertPack` names it. */
export interface StoredPack {
  id: string;
  object: string;
  entries: PackEntry[];
}

/** The pack row of `userId` that names a stored object (its bytes counted by the triggers on `packs`). */
export async function insertPack(db: Db | Tx, userId: string, pack: StoredPack): Promise<void> {
  const bytes = pack.entries.reduce((n, e) => n + e.size, 0);
  await db.execute(
    sql`insert into packs (id, user_id, object, entries, bytes) values (${pack.id}, ${userId}, ${pack.object}, decode(${encodeEntries(pack.entries).toString('hex')}, 'hex'), ${bytes})`,
  );
}

/** Where one file's bytes are: entry `index` of the pack row `pack`, at `offset` in `object`. */
export interface BlobLocation {
  pack: string;
  object: string;
  index: number;
  offset: number;
  size: number;
  sha1: string;
  /** How many files the pack holds (a pack of one is a large file, streamed from its object). */
  files: number;
}

/** A pack's entries, and where each file is among them (the first of a hash held twice in one pack). */
interface CachedPack {
  entries: readonly PackEntry[];
  at: Map<string, number>;
}

const cached = (entries: readonly PackEntry[]): CachedPack => {
  const at = new Map<string, number>();
  entries.forEach((e, i) => {
    if (!at.has(e.sha256)) at.set(e.sha256, i);
  });
  return { entries, at };
};

/**
 * The packs this process read lately (~250 bytes of heap per file): at most ~100,000 files. On
 * globalThis, as the database is: the upload routes and tRPC may be separate bundles, and a dev
 * server reloads modules.
 */
const entriesCache = ((globalThis as unknown as { __huskitPackEntries?: LRUCache<string, CachedPack> }).__huskitPackEntries ??= new LRUCache<
  string,
  CachedPack
>({ maxSize: 100_000, sizeCalculation: (p) => Math.max(1, p.entries.length) }));

/** Keeps a pack's entries as just written (its row is then read by id only when this process forgets it). */
export function rememberEntries(pack: string, entries: readonly PackEntry[]): void {
  entriesCache.set(pack, cached(entries));
}

/**
 * Where each of `sha256s` is among the user's packs (SHA-256 → location); those they do not hold are
 * absent. A file held twice (two uploads of it at once) is found in either.
 */
export async function locateHeld(db: Db | Tx, userId: string, sha256s: Iterable<string>): Promise<Map<string, BlobLocation>> {
  const wanted = new Set(sha256s);
  const found = new Map<string, BlobLocation>();
  if (wanted.size === 0) return found;
  const packs = rowsOf<{ id: string; object: string }>(await db.execute(sql`select id, object from packs where user_id = ${userId}`));
  // Held here for this lookup: the cache may drop any of them meanwhile (other lookups fill it).
  const read = new Map<string, CachedPack>();
  for (const p of packs) {
    const pack = entriesCache.get(p.id);
    if (pack) read.set(p.id, pack);
  }
  const unknown = packs.filter((p) => !read.has(p.id)).map((p) => p.id);
  if (unknown.length > 0) {
    const rows = rowsOf<{ id: string; entries: Uint8Array | string }>(
      await db.execute(sql`select id, entries from packs where id = any(${sql.param(unknown)}::uuid[])`),
    );
    for (const r of rows) {
      const pack = cached(decodeEntries(byteaBuffer(r.entries)));
      read.set(r.id, pack);
      entriesCache.set(r.id, pack);
    }
  }
  for (const p of packs) {
    const pack = read.get(p.id);
    if (!pack) continue; // removed since the first query
    const { entries, at } = pack;
    const add = (sha256: string, index: number) => {
      const e = entries[index]!;
      found.set(sha256, { pack: p.id, object: p.object, index, offset: e.offset, size: e.size, sha1: e.sha1, files: entries.length });
    };
    // Whichever is shorter is walked: the hashes asked (an upload request's few hundred) or the pack's files.
    if (wanted.size < entries.length) {
      for (const sha256 of wanted) {
        const index = at.get(sha256);
        if (index !== undefined && !found.has(sha256)) add(sha256, index);
      }
    } else for (const [sha256, index] of at) if (wanted.has(sha256) && !found.has(sha256)) add(sha256, index);
  }
  return found;
}
