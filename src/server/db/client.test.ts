import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import WebSocket from 'ws';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { getEnv } from '../env';
import { getDbHandle } from './client';
import { users } from './schema';
import { startWsRelay } from './ws-relay';

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

describe('WebSocket relay', () => {
  it('relays only to the allowed address', async () => {
    const relay = await startWsRelay({ allow: ['127.0.0.1:5432'] });
    try {
      const refused = new WebSocket(`ws://127.0.0.1:${relay.port}/v1?address=127.0.0.1:6379`);
      const code = await new Promise<number>((resolve) => refused.on('close', (c) => resolve(c)));
      expect(code).toBe(1008);
    } finally {
      await relay.close();
    }
  });
});
