import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { getEnv } from '../env';
import { getDbHandle } from './client';
import { users } from './schema';

const getDb = useTestDb();

describe('database client', () => {
  it('uses the Neon driver when DATABASE_URL is set, the embedded PGlite otherwise', async () => {
    await getDb();
    expect((await getDbHandle()).driver).toBe(getEnv().databaseUrl ? 'neon' : 'pglite');
  });

  it('rolls back an interactive transaction that throws', async () => {
    const db = await getDb();
    const email = uniqueEmail('rollback');
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(users).values({ email, passwordHash: 'x' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await db.select().from(users).where(eq(users.email, email))).toEqual([]);
  });
});
