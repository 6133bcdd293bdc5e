// API keys for integrators: `hs_` + 32 random bytes, shown once, stored as a SHA-256 hash. A key has
// scopes (src/lib/api-key-scopes.ts) and may expire; everything outside its scopes needs a session.
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { API_KEY_SCOPES, type ApiKeyScope } from '@/lib/api-key-scopes';
import { apiKeys, users } from '../db/schema';
import type { Db } from '../db/client';
import { AppError, notFound } from '../errors';
import { recordAudit } from '../audit';
import type { SessionUser } from './accounts';

const KEY_PATTERN = /^hs_[A-Za-z0-9_-]{43}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');
const knownScopes = (stored: string[]) => API_KEY_SCOPES.filter((s) => stored.includes(s));

export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

export interface NewApiKeyOptions {
  /** Default: every scope. */
  scopes?: readonly ApiKeyScope[];
  /** Default: never expires. */
  expiresInDays?: number | null;
}

export async function createApiKey(db: Db, userId: string, name: string, options: NewApiKeyOptions = {}): Promise<ApiKeySummary & { key: string }> {
  const key = `hs_${randomBytes(32).toString('base64url')}`;
  const scopes = knownScopes([...(options.scopes ?? API_KEY_SCOPES)]);
  if (scopes.length === 0)
    throw new AppError('BAD_REQUEST', 'Choose at least one thing the key may do.', { scopes: ['Choose at least one thing the key may do.'] });
  const expiresAt = options.expiresInDays ? new Date(Date.now() + options.expiresInDays * DAY_MS) : null;
  const row = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(apiKeys)
      .values({ userId, name, prefix: key.slice(0, 10), keyHash: hashKey(key), scopes, expiresAt })
      .returning();
    await recordAudit(tx, { userId, action: 'api_key.create', targetId: created!.id, detail: { scopes, expiresAt: expiresAt?.toISOString() ?? null } });
    return created!;
  });
  return { id: row.id, name: row.name, prefix: row.prefix, scopes, createdAt: row.createdAt, expiresAt: row.expiresAt, lastUsedAt: null, key };
}

/** The user's keys that are not revoked, expired ones included (the list marks them). */
export async function listApiKeys(db: Db, userId: string): Promise<ApiKeySummary[]> {
  const rows = await db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      scopes: apiKeys.scopes,
      createdAt: apiKeys.createdAt,
      expiresAt: apiKeys.expiresAt,
      lastUsedAt: apiKeys.lastUsedAt,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt));
  return rows.map((r) => ({ ...r, scopes: knownScopes(r.scopes) }));
}

export async function revokeApiKey(db: Db, userId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const revoked = await tx
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    if (revoked.length === 0) throw notFound('That API key');
    await recordAudit(tx, { userId, action: 'api_key.revoke', targetId: id });
  });
}

export interface KeyCaller {
  user: SessionUser;
  keyId: string;
  scopes: ApiKeyScope[];
}

/** How often a key's last use is written at most. */
const LAST_USED_EVERY_MS = 60_000;

const UNKNOWN_KEY = 'The API key is missing, malformed or revoked. Create a new one in Settings.';

/** The user and scopes behind `Authorization: Bearer hs_…`; 401 for a malformed, unknown, revoked or expired key. */
export async function authenticateApiKey(db: Db, key: string): Promise<KeyCaller> {
  if (!KEY_PATTERN.test(key)) throw new AppError('UNAUTHORIZED', UNKNOWN_KEY);
  const [row] = await db
    .select({
      keyId: apiKeys.id,
      scopes: apiKeys.scopes,
      expiresAt: apiKeys.expiresAt,
      lastUsedAt: apiKeys.lastUsedAt,
      id: users.id,
      email: users.email,
      role: users.role,
    })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.keyHash, hashKey(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row) throw new AppError('UNAUTHORIZED', UNKNOWN_KEY);
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now())
    throw new AppError('UNAUTHORIZED', `This API key expired on ${row.expiresAt.toISOString().slice(0, 10)}. Create a new one in Settings.`);
  // At most one write a minute per key: thousands of uploads must not queue on this one row (nor wait
  // for a statement that would change nothing).
  if (!row.lastUsedAt || row.lastUsedAt.getTime() < Date.now() - LAST_USED_EVERY_MS)
    await db
      .update(apiKeys)
      .set({ lastUsedAt: new Date() })
      .where(and(eq(apiKeys.id, row.keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`))));
  return { user: { id: row.id, email: row.email, role: row.role }, keyId: row.keyId, scopes: knownScopes(row.scopes) };
}
