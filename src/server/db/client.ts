// The database, with the driver chosen by environment:
// - no DATABASE_URL: embedded PGlite under .data/ (nothing to install);
// - DATABASE_URL: the Neon serverless driver (Pool over WebSockets), as in production. Against a plain
//   local PostgreSQL, which has no WebSocket endpoint, an in-process relay bridges the two (outside
//   production only; in production a local server needs NEON_WS_PROXY).
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import * as schema from './schema';
import { ConfigError, getEnv } from '../env';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; domain functions that accept `Db` accept it too. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Drizzle's execute answers `{ rows }` on both drivers (PGlite and Neon). */
export const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

export interface DbHandle {
  db: Db;
  driver: 'pglite' | 'neon';
  /**
   * LISTEN on a channel (one session held for it); `onLost` when that session ends. Through a
   * transaction-pooled URL notifications never arrive: callers must not depend on them.
   */
  listen(channel: string, onPayload: (payload: string) => void, onLost: (err: Error) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const CHANNEL = /^[a-z_][a-z0-9_]*$/;

const MIGRATIONS_FOLDER = path.join(process.cwd(), 'drizzle');
/** Any constant: serialises concurrent migrators (two servers starting on one database). */
const MIGRATION_LOCK_ID = 7_406_231_001;

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export async function openDb(options: { databaseUrl?: string; pgliteDataDir?: string; migrate?: boolean } = {}): Promise<DbHandle> {
  const env = getEnv();
  const databaseUrl = 'databaseUrl' in options ? options.databaseUrl : env.databaseUrl;
  const migrate = options.migrate ?? !env.isProduction;
  return databaseUrl ? openNeon(databaseUrl, env.neonWsProxy, migrate, env.isProduction) : openPglite(options.pgliteDataDir ?? env.pgliteDataDir);
}

async function openPglite(dataDir: string): Promise<DbHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir);
  const db = drizzle(client, { schema });
  // The embedded database belongs to this process alone: it is always migrated on open.
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return {
    db: db as unknown as Db,
    driver: 'pglite',
    listen: async (channel, onPayload) => {
      if (!CHANNEL.test(channel)) throw new Error(`bad channel name ${channel}`);
      return client.listen(channel, onPayload);
    },
    close: () => client.close(),
  };
}

async function openNeon(databaseUrl: string, wsProxy: string | undefined, runMigrations: boolean, production: boolean): Promise<DbHandle> {
  const { Client, Pool, neonConfig } = await import('@neondatabase/serverless');
  const { drizzle } = await import('drizzle-orm/neon-serverless');
  const { CoalescingWebSocket } = await import('./neon-socket');
  // Node 20 has no global WebSocket. A query's writes are gathered without the driver's timer (neon-socket.ts).
  neonConfig.webSocketConstructor = CoalescingWebSocket;
  neonConfig.coalesceWrites = false;

  const target = new URL(databaseUrl);
  let closeRelay = async () => {};
  if (!wsProxy && LOCAL_HOSTS.has(target.hostname)) {
    if (production)
      throw new ConfigError(
        'Configuration error: NEON_WS_PROXY is missing for a local DATABASE_URL in production. The Neon driver reaches a plain PostgreSQL only through a WebSocket proxy: set NEON_WS_PROXY to one (the built-in relay runs in development only).',
      );
    const { startWsRelay } = await import('./ws-relay');
    const host = target.hostname === 'localhost' ? '127.0.0.1' : target.hostname.replace(/^\[|\]$/g, '');
    const relay = await startWsRelay({ allow: [`${host}:${target.port || '5432'}`] });
    closeRelay = relay.close;
    wsProxy = relay.proxy;
    target.hostname = host;
  }
  // The proxy is set on each connection of this pool, not on the driver's global config: another handle
  // opened in the process (a test's own database, a CLI) would move this pool's next connections to its
  // relay, and closing it would leave them failing ("Failed query").
  const proxy = wsProxy;
  class ProxiedClient extends Client {
    constructor(...args: ConstructorParameters<typeof Client>) {
      super(...args);
      if (!proxy) return;
      this.neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
      this.neonConfig.useSecureWebSocket = false;
      this.neonConfig.pipelineConnect = false; // pipelining only works with cleartext auth, not SCRAM
    }
  }
  class ProxiedPool extends Pool {
    override Client = ProxiedClient;
  }

  const pool = new ProxiedPool({ connectionString: target.toString(), max: 10 });
  const listening = new Set<() => Promise<void>>();
  // The pool listens for errors only on idle connections (and then emits them here: logged below). One
  // ended by the server while checked out between two queries (Neon suspending its compute, an
  // operator's terminate) would otherwise throw from the socket and end the process; with a listener of
  // its own only the work on it fails, and the pool drops it when it comes back.
  pool.on('error', () => {});
  pool.on('connect', (client: import('@neondatabase/serverless').PoolClient) =>
    client.on('error', (err: Error) => console.error('[db] connection ended by the server:', err.message)),
  );
  const db = drizzle(pool, { schema });
  if (runMigrations) await migrateNeon(pool);
  return {
    db: db as unknown as Db,
    driver: 'neon',
    listen: async (channel, onPayload, onLost) => {
      if (!CHANNEL.test(channel)) throw new Error(`bad channel name ${channel}`);
      const session = await pool.connect();
      let released = false;
      const release = (err?: Error) => {
        if (released) return false;
        released = true;
        listening.delete(stop);
        session.release(err);
        return true;
      };
      // The session is closed rather than pooled again: it carries this listener's handlers.
      const stop = async () => {
        if (released) return;
        await session.query(`UNLISTEN ${channel}`).catch(() => undefined);
        release(new Error('stopped listening'));
      };
      listening.add(stop);
      session.on('notification', (m: { channel: string; payload?: string }) => m.channel === channel && onPayload(m.payload ?? ''));
      // A broken session goes back to the pool destroyed; the listener is told to listen again.
      session.on('error', (err: Error) => {
        if (release(err)) onLost(err);
      });
      try {
        await session.query(`LISTEN ${channel}`);
      } catch (err) {
        release(err as Error);
        throw err;
      }
      return stop;
    },
    close: async () => {
      // A listening session is checked out for good: the pool only ends once it is back.
      await Promise.all([...listening].map((stop) => stop()));
      await pool.end();
      await closeRelay();
    },
  };
}

/** Applies drizzle/ migrations under an advisory lock, so concurrent starters do not collide. */
export async function migrateNeon(pool: import('@neondatabase/serverless').Pool): Promise<void> {
  const { drizzle } = await import('drizzle-orm/neon-serverless');
  const { migrate } = await import('drizzle-orm/neon-serverless/migrator');
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
    client.release();
  }
}

const holder = globalThis as unknown as { __huskitDb?: Promise<DbHandle> };

/** The process-wide database (kept on globalThis so dev reloads reuse it). */
export function getDbHandle(): Promise<DbHandle> {
  holder.__huskitDb ??= openDb().catch((err) => {
    holder.__huskitDb = undefined;
    throw err;
  });
  return holder.__huskitDb;
}

export const getDb = (): Promise<Db> => getDbHandle().then((h) => h.db);

export async function closeDb(): Promise<void> {
  const handle = holder.__huskitDb;
  holder.__huskitDb = undefined;
  if (handle) await (await handle).close();
}

export async function pingDb(db: Db): Promise<boolean> {
  await db.execute(sql`SELECT 1`);
  return true;
}
