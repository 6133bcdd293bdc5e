// An install from before the object store, upgraded: its database is migrated as it was (through
// 0005, bytes in `blobs.bytes`), then to today (a pack row per user and file, naming the file's own
// object); its files stay readable by those who hold them, and `blobs:migrate` moves them into the
// object store, continuing where a stopped run left off, then drops their table.
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/client';
import * as schema from '../db/schema';
import { FsObjectStore } from '../storage/fs-store';
import type { ObjectStore } from '../storage/object-store';
import { blobKey } from './blob-keys';
import { BlobStore } from './blob-store';
import { migrateLegacyBlobs } from './legacy-blobs';
import { byteaBuffer } from '../db/schema/columns';
import { decodeEntries } from './pack-index';

const MIGRATIONS = path.join(process.cwd(), 'drizzle');
const work = mkdtempSync(path.join(os.tmpdir(), 'legacy-blobs-'));
const objects = new FsObjectStore(path.join(work, 'objects'));
let client: PGlite;
let pglite: ReturnType<typeof drizzle<typeof schema>>;
let db: Db;
/** Held every file; `other` held only the second one. */
let owner: string;
let other: string;

/** The migrations folder as it was before the object store (through 0005). */
function migrationsThrough(lastTag: string): string {
  const folder = path.join(work, 'migrations-old');
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journal = JSON.parse(readFileSync(path.join(folder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === lastTag) + 1);
  writeFileSync(path.join(folder, 'meta/_journal.json'), JSON.stringify(journal));
  return folder;
}

const files = Array.from({ length: 7 }, (_, i) => randomBytes(i === 0 ? 1024 * 1024 : 100 + i * 1000));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const rows = async (query: ReturnType<typeof sql>) => ((await db.execute(query)) as unknown as { rows: Record<string, unknown>[] }).rows;

beforeAll(async () => {
  client = await PGlite.create('memory://');
  pglite = drizzle(client, { schema });
  db = pglite as unknown as Db;
  await migrate(pglite, { migrationsFolder: migrationsThrough('0005_accounts_sessions_scopes') });
  owner = (await rows(sql`insert into users (email, password_hash) values ('old@huskit.test', 'x') returning id`))[0]!.id as string;
  other = (await rows(sql`insert into users (email, password_hash) values ('other@huskit.test', 'x') returning id`))[0]!.id as string;
  for (const bytes of files) {
    // As the old code stored them (SHA-1 was filled in lazily: these rows have none).
    await db.execute(sql`insert into blobs (sha256, size, bytes) values (${sha256(bytes)}, ${bytes.length}, ${bytes})`);
    await db.execute(sql`insert into user_blobs (user_id, sha256) values (${owner}, ${sha256(bytes)})`);
  }
  await db.execute(sql`insert into user_blobs (user_id, sha256) values (${other}, ${sha256(files[1]!)})`);
  await migrate(pglite, { migrationsFolder: MIGRATIONS });
});
afterAll(async () => {
  await client.close();
  rmSync(work, { recursive: true, force: true });
});

/** Fails the `failAt`-th put, as a process killed half way would stop. */
function failingAfter(store: ObjectStore, failAt: number): ObjectStore {
  let puts = 0;
  return Object.assign(Object.create(store) as ObjectStore, {
    put: (...args: Parameters<ObjectStore['put']>) => (++puts === failAt ? Promise.reject(new Error('killed')) : store.put(...args)),
  });
}

const bySha = <T extends { sha256: string }>(list: T[]) => [...list].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));

describe('an install upgraded from bytes in PostgreSQL', () => {
  it('keeps no bytes in the catalogue; each holder has a pack row per file, served from the table set aside', async () => {
    // The old catalogue is gone; what each user held is their pack rows, each naming the file's own object.
    expect(await rows(sql`select to_regclass('blobs') as b, to_regclass('user_blobs') as u`)).toEqual([{ b: null, u: null }]);
    const packsOf = async (userId: string) =>
      bySha(
        (await rows(sql`select object, bytes, entries from packs where user_id = ${userId}`)).map((r) => {
          const entries = decodeEntries(byteaBuffer(r.entries as Uint8Array | string));
          expect(entries).toHaveLength(1);
          return { object: r.object, bytes: Number(r.bytes), ...entries[0]! };
        }),
      );
    const entryOf = (b: Buffer) => ({ object: blobKey(sha256(b)), bytes: b.length, sha256: sha256(b), sha1: '', offset: 0, size: b.length });
    expect(await packsOf(owner)).toEqual(bySha(files.map(entryOf)));
    expect(await packsOf(other)).toEqual([entryOf(files[1]!)]);
    expect(await rows(sql`select user_id, bytes::int as bytes from user_storage order by bytes`)).toEqual([
      { user_id: other, bytes: files[1]!.length },
      { user_id: owner, bytes: files.reduce((n, b) => n + b.length, 0) },
    ]);

    expect(await rows(sql`select count(*)::int as n from legacy_blob_bytes`)).toEqual([{ n: 7 }]);
    const store = new BlobStore(db, objects);
    for (const bytes of files) expect((await store.get(owner, sha256(bytes))).equals(bytes)).toBe(true);
    // Per user: the other user reads the file they held, and no other.
    expect((await store.get(other, sha256(files[1]!))).equals(files[1]!)).toBe(true);
    await expect(store.get(other, sha256(files[2]!))).rejects.toThrow(/is not stored/);
    // SHA-1 was never kept for them: computed from the bytes in the table.
    expect(await store.sha1Many(owner, files.map(sha256))).toEqual(new Map(files.map((b) => [sha256(b), sha1(b)])));
  });

  it('blobs:migrate stopped half way loses nothing; run again, it finishes and drops the table', async () => {
    await expect(migrateLegacyBlobs(db, failingAfter(objects, 4), { batch: 2 })).rejects.toThrow('killed');
    const left = await rows(sql`select sha256 from legacy_blob_bytes`);
    expect(left).toHaveLength(4);
    // What moved is in the object store, what did not is still in the table: every file still reads.
    const store = new BlobStore(db, objects);
    for (const bytes of files) expect((await store.get(owner, sha256(bytes))).equals(bytes)).toBe(true);

    // A row whose bytes are not what it is named: left in place and named, never stored.
    const bad = sha256(randomBytes(8));
    await db.execute(sql`insert into legacy_blob_bytes (sha256, bytes) values (${bad}, ${randomBytes(300_000)})`);
    // Each file read in pieces of at most 256 KB (the 300 KB one in two): no statement carries a whole large file.
    let largest = 0;
    const measured = Object.assign(Object.create(db) as Db, {
      execute: async (query: Parameters<Db['execute']>[0]) => {
        const result = await db.execute(query);
        for (const row of (result as unknown as { rows: Record<string, unknown>[] }).rows)
          for (const value of Object.values(row)) if (value instanceof Uint8Array) largest = Math.max(largest, value.length);
        return result;
      },
    });
    const kept = await migrateLegacyBlobs(measured, objects, { batch: 2, pieceBytes: 256 * 1024 });
    expect(kept).toMatchObject({ moved: 4, corrupt: [bad], tableDropped: false });
    expect(largest).toBeLessThanOrEqual(256 * 1024);
    expect(await objects.size(blobKey(bad))).toBeNull();
    await db.execute(sql`delete from legacy_blob_bytes where sha256 = ${bad}`);
    const report = await migrateLegacyBlobs(db, objects, { batch: 2 });
    expect(report).toMatchObject({ moved: 0, corrupt: [], tableDropped: true });
    expect(await rows(sql`select to_regclass('legacy_blob_bytes') as t`)).toEqual([{ t: null }]);
    // Each file is now the object its pack rows name, read from there by those who hold it.
    for (const bytes of files) {
      expect(await objects.size(blobKey(sha256(bytes)))).toBe(bytes.length);
      expect((await store.get(owner, sha256(bytes))).equals(bytes)).toBe(true);
    }
    expect((await store.get(other, sha256(files[1]!))).equals(files[1]!)).toBe(true);
    await expect(store.get(other, sha256(files[0]!))).rejects.toThrow(/is not stored/);
    expect(await store.sha1Many(owner, files.map(sha256))).toEqual(new Map(files.map((b) => [sha256(b), sha1(b)])));
    // A second run has nothing left to do.
    expect(await migrateLegacyBlobs(db, objects)).toMatchObject({ moved: 0, tableDropped: false });
  });
});
