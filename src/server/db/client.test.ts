import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { eq, sql } from 'drizzle-orm';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { getEnv } from '../env';
import { getDbHandle, openDb } from './client';
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

  it('sends each query through the Neon driver as one WebSocket message, at once: no timer between a statement and the wire', async () => {
    const handle = await openDb({ databaseUrl: getEnv().databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres', migrate: false });
    const send = WebSocket.prototype.send;
    try {
      await handle.db.execute(sql`SELECT 1`); // connected
      // Whether a callback queued right after the query (setImmediate) had run when each message left.
      let laterTurn = false;
      const sent: boolean[] = [];
      vi.spyOn(WebSocket.prototype, 'send').mockImplementation(function (this: WebSocket, ...args: Parameters<WebSocket['send']>) {
        // The driver's socket (the in-process relay answers through sockets of the same class, with no url).
        if (this.url) sent.push(laterTurn);
        return send.apply(this, args);
      });
      const query = handle.db.execute(sql`SELECT ${41}::int + 1 AS answer`).then((r) => r);
      setImmediate(() => (laterTurn = true));
      const { rows } = (await query) as unknown as { rows: { answer: number }[] };
      expect(rows[0]!.answer).toBe(42);
      // Parse, bind, describe, execute and sync in one message, sent before the event loop turned
      // (the driver's own coalescing waited for a timer: a millisecond or more per statement).
      expect(sent).toEqual([false]);
    } finally {
      vi.restoreAllMocks();
      await handle.close();
    }
  });

  it('survives a connection the server ends while a transaction holds it: only that work fails, the next query gets a fresh connection', async () => {
    // Neon's driver, as in production, even on the PGlite run: the machine's PostgreSQL is always there.
    const handle = await openDb({ databaseUrl: getEnv().databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres', migrate: false });
    const lost = new Promise<string>((resolve) =>
      vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
        if (String(args[0]).includes('connection ended by the server')) resolve(String(args[1]));
      }),
    );
    try {
      const work = handle.db.transaction(async (tx) => {
        const { rows } = (await tx.execute(sql`SELECT pg_backend_pid() AS pid`)) as unknown as { rows: { pid: number }[] };
        // Another connection of the pool ends this one, as an operator's pg_terminate_backend would.
        await handle.db.execute(sql`SELECT pg_terminate_backend(${rows[0]!.pid})`);
        // Nothing runs on it while the server's goodbye arrives: before the fix, that threw from the socket.
        await lost;
        await tx.execute(sql`SELECT 1`);
      });
      // The work fails (drizzle reports the rollback it could not send, caused by the lost connection).
      const failure = await work.then(
        () => null,
        (err: unknown) => err,
      );
      const messages: string[] = [];
      for (let e = failure as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) messages.push(String(e.message));
      expect(messages.join(' / ')).toMatch(/not queryable|terminated|closed/i);
      expect(await lost).toMatch(/terminating connection due to administrator command/);
      const { rows } = (await handle.db.execute(sql`SELECT 41 + 1 AS answer`)) as unknown as { rows: { answer: number }[] };
      expect(rows[0]!.answer).toBe(42);
    } finally {
      vi.restoreAllMocks();
      await handle.close();
    }
  });

  it('keeps each handle on its own relay: a second database opened and closed in the process leaves the first one connecting', async () => {
    // Two handles on the machine's PostgreSQL, each through a relay of its own (as a test's own database, a CLI).
    const url = getEnv().databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const first = await openDb({ databaseUrl: url, migrate: false });
    try {
      await first.db.execute(sql`SELECT 1`);
      const second = await openDb({ databaseUrl: url, migrate: false });
      await second.db.execute(sql`SELECT 1`);
      await second.close();
      // Ten at once: the first pool opens new connections, through its own relay (not the closed one).
      const answers = await Promise.all(
        Array.from(
          { length: 10 },
          async (_, i) => ((await first.db.execute(sql`SELECT ${i}::int AS n, pg_sleep(0.02)`)) as unknown as { rows: { n: number }[] }).rows[0]!.n,
        ),
      );
      expect(answers).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      await first.close();
    }
  });
});
