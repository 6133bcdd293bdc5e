// An install from before manifests' lines moved to the object store (migration 0016): its rows keep
// their lines in PostgreSQL and are still read, whole or as deltas; `blobs:migrate` (moveLegacyManifests)
// moves them into objects, and what is read afterwards is the same files under the same hashes.
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { manifestHash, type ProposedManifest } from '@/lib/manifest';
import { upgradedFrom } from '@/testing/upgraded-db';
import type { Db } from '../db/client';
import { getObjectStore } from '../storage/from-env';
import { readAll } from '../storage/object-store';
import { encodeManifest, moveLegacyManifests, readRow, readStoredManifest } from './manifest-store';

const entry = (i: number) => ({ sha256: i.toString(16).padStart(64, '0'), size: i * 10 });
const rowsOf = async (db: Db, query: ReturnType<typeof sql>) => ((await db.execute(query)) as unknown as { rows: Record<string, unknown>[] }).rows;

describe('an install upgraded past 0016', () => {
  it('reads its manifests from their rows, and blobs:migrate moves them into objects without changing what they hold', async () => {
    await upgradedFrom('0015_packs', async (upgraded, upgrade) => {
      const db = upgraded as unknown as Db;
      const base: ProposedManifest = { 'index.html': entry(1), 'a.css': entry(2), 'old.js': entry(3) };
      const next: ProposedManifest = { 'index.html': entry(4), 'a.css': entry(2) };
      const [baseHash, nextHash] = [await manifestHash(base), await manifestHash(next)];
      // As 0012–0015 stored them: a whole row, and a delta of it (its changed lines, its removed paths).
      await db.execute(sql`insert into manifests (hash, files) values (${baseHash}, ${encodeManifest(base)})`);
      await db.execute(
        sql`insert into manifests (hash, files, base_hash, removed) values (${nextHash}, ${encodeManifest({ 'index.html': entry(4) })}, ${baseHash}, 'old.js')`,
      );
      await upgrade();

      // Read from the rows as they are (not from this process's memory: rows it never stored).
      expect(await readStoredManifest(db, nextHash)).toMatchObject(next);
      expect(await readStoredManifest(db, baseHash)).toMatchObject(base);

      expect(await moveLegacyManifests(db, 1)).toBe(2);
      const rows = await rowsOf(db, sql`select hash, object, files, removed, base_hash from manifests order by base_hash nulls first`);
      expect(rows.map((r) => [r.hash, r.files, r.removed, r.base_hash])).toEqual([
        [baseHash, null, null, null],
        [nextHash, null, null, baseHash],
      ]);
      for (const r of rows) expect(r.object).toMatch(/^manifests\/[0-9a-f-]{36}$/);
      // The delta's object: its changed line, a NUL, its removed path.
      const delta = (await readAll(await getObjectStore().get(rows[1]!.object as string))).toString('utf8');
      expect(delta).toBe(`${encodeManifest({ 'index.html': entry(4) })}\0old.js`);
      expect(await readRow(db, nextHash)).toEqual({ baseHash, files: encodeManifest({ 'index.html': entry(4) }), removed: 'old.js' });
      expect(await readStoredManifest(db, nextHash)).toMatchObject(next);
      // Run again: nothing left to move.
      expect(await moveLegacyManifests(db)).toBe(0);
    });
  });
});
