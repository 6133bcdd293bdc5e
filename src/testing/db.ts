// The database of a test file: the process-wide one (PGlite in memory, or DATABASE_URL through the
// Neon driver), closed after the file's tests.
import { afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { closeDb, getDb, type Db } from '@/server/db/client';
import { arrivedScansIdle } from '@/server/deploy/scan/on-arrival';

export function useTestDb(): () => Promise<Db> {
  // Scans of uploads still running write their passes: they finish before the database closes.
  afterAll(async () => {
    await arrivedScansIdle();
    await closeDb();
  });
  return getDb;
}

/** An email no other test (or earlier run on the same database) has used. */
export const uniqueEmail = (label = 'user') => `${label}-${randomUUID().slice(0, 8)}@huskit.test`;
