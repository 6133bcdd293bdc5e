// A database of an earlier version, for the tests of a migration: migrated up to one, rows of that
// version written, then migrated to this version.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import * as schema from '@/server/db/schema';

export type UpgradedDb = ReturnType<typeof drizzle<typeof schema>>;

/**
 * An in-memory database migrated up to `tag`; `work` then runs the remaining migrations (`upgrade`).
 * Both share the same client and are closed afterwards.
 */
export async function upgradedFrom(tag: string, work: (db: UpgradedDb, upgrade: () => Promise<void>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'upgrade-'));
  const client = await PGlite.create('memory://');
  try {
    const db = drizzle(client, { schema });
    const migrations = path.join(process.cwd(), 'drizzle');
    const before = path.join(dir, 'migrations');
    cpSync(migrations, before, { recursive: true });
    const journal = JSON.parse(readFileSync(path.join(before, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === tag) + 1);
    writeFileSync(path.join(before, 'meta/_journal.json'), JSON.stringify(journal));
    await migrate(db, { migrationsFolder: before });
    await work(db, () => migrate(db, { migrationsFolder: migrations }));
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
