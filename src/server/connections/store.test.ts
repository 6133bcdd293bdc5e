import { beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { eq, getTableName, sql } from 'drizzle-orm';
import { users, connections } from '@/server/db/schema';
import { signUp } from '@/server/auth/accounts';
import { sealSecret } from '@/server/vault';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { connectionVaultContext, listConnections, readConnectionCredentials, saveConnection } from './store';

// Two keys: "knew" seals, "kold" still opens what it sealed before the rotation.
const KOLD = { id: 'kold', key: Buffer.alloc(32, 11) };
vi.hoisted(() => {
  process.env.ENCRYPTION_KEYS = `knew:${Buffer.alloc(32, 22).toString('base64')},kold:${Buffer.alloc(32, 11).toString('base64')}`;
});

const getDb = useTestDb();
const TOKEN = `PLAINTEXT-cf-token-${Math.random().toString(36).slice(2)}`;
const AWS_SECRET = `PLAINTEXT-aws-secret-${Math.random().toString(36).slice(2)}`;

describe('connections at rest', () => {
  let userId: string;
  beforeAll(async () => {
    userId = (await signUp(await getDb(), { email: uniqueEmail(), password: 'a long enough password' })).id;
  });

  it('stores credentials sealed: a dump of every table holds no plaintext', async () => {
    const db = await getDb();
    await saveConnection(db, {
      userId,
      platform: 'cloudflare',
      credentials: { apiToken: TOKEN, accountId: '0c1f1a2b3c4d5e6f708192a3b4c5d6e7' },
      hintOf: TOKEN,
      accountFacts: { accountName: 'Local', subdomain: 'local' },
    });
    await saveConnection(db, {
      userId,
      platform: 'amplify',
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: AWS_SECRET, region: 'us-east-1' },
      hintOf: 'AKIAEXAMPLE',
      accountFacts: { region: 'us-east-1' },
    });

    const dump = await dumpAllTables();
    expect(dump).toContain('…' + TOKEN.slice(-4)); // the masked hint is there
    for (const secret of [TOKEN, AWS_SECRET]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(Buffer.from(secret).toString('base64'));
      expect(dump).not.toContain(Buffer.from(secret).toString('hex'));
    }
    expect(await readConnectionCredentials(db, userId, 'cloudflare')).toMatchObject({ apiToken: TOKEN });

    // The summary a browser may see carries no secret either.
    expect(JSON.stringify(await listConnections(db, userId))).not.toMatch(/PLAINTEXT/);
  });

  it('re-seals a credential sealed with an older key when it is read', async () => {
    const db = await getDb();
    const oldEnvelope = sealSecret(JSON.stringify({ apiToken: TOKEN }), connectionVaultContext(userId, 'cloudflare'), [KOLD]);
    await db.update(connections).set({ secretCiphertext: oldEnvelope.envelope, keyId: 'kold' }).where(eq(connections.userId, userId));

    expect(await readConnectionCredentials(db, userId, 'cloudflare')).toEqual({ apiToken: TOKEN });
    const [row] = await db
      .select()
      .from(connections)
      .where(sql`${connections.userId} = ${userId} and ${connections.platform} = 'cloudflare'`);
    expect(row!.keyId).toBe('knew');
    expect(row!.secretCiphertext.startsWith('v1.knew.')).toBe(true);
  });

  it('refuses a ciphertext moved to another user', async () => {
    const db = await getDb();
    const other = await signUp(db, { email: uniqueEmail('other'), password: 'a long enough password' });
    const [mine] = await db.select().from(connections).where(eq(connections.userId, userId));
    await db.insert(connections).values({ ...mine!, id: undefined, userId: other.id });
    await expect(readConnectionCredentials(db, other.id, mine!.platform)).rejects.toThrow(/integrity check/);
  });
});

/** Every row of every table of the schema, as text: what a database dump would show. */
async function dumpAllTables(): Promise<string> {
  const db = await getDb();
  // Both drivers answer { rows }.
  const tables = (await db.execute(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  )) as unknown as { rows: { table_name: string }[] };
  const names = tables.rows.map((r) => r.table_name);
  expect(names).toEqual(expect.arrayContaining([getTableName(users), getTableName(connections)]));
  let out = '';
  for (const name of names) {
    const rows = (await db.execute(sql.raw(`select t::text as row from "${name}" t`))) as unknown as { rows: { row: string }[] };
    out += rows.rows.map((r) => r.row).join('\n');
  }
  // On a real PostgreSQL, the real thing too.
  if (process.env.DATABASE_URL) out += execFileSync('pg_dump', ['--data-only', process.env.DATABASE_URL], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out;
}
