// API keys for integrators: `hs_` + 32 random bytes, shown once, stored as a SHA-256 hash.
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { apiKeys, users } from '../db/schema';
import type { Db } from '../db/client';
import { notFound } from '../errors';
import { recordAudit } from '../audit';
import { roleForEmail, type SessionUser } from './accounts';

const KEY_PATTERN = /^hs_[A-Za-z0-9_-]{43}$/;

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export async function createApiKey(db: Db, userId: string, name: string): Promise<ApiKeySummary & { key: string }> {
  const key = `hs_${randomBytes(32).toString('base64url')}`;
  const row = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(apiKeys)
      .values({ userId, name, prefix: key.slice(0, 10), keyHash: hashKey(key) })
      .returning();
    await recordAudit(tx, { userId, action: 'api_key.create', targetId: created!.id });
    return created!;
  });
  return { id: row.id, name: row.name, prefix: row.prefix, createdAt: row.createdAt, lastUsedAt: null, key };
}

export async function listApiKeys(db: Db, userId: string): Promise<ApiKeySummary[]> {
  return db
    .select({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt));
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

/** The user behind `Authorization: Bearer hs_…`, or null for a malformed, unknown or revoked key. */
export async function authenticateApiKey(db: Db, key: string): Promise<SessionUser | null> {
  if (!KEY_PATTERN.test(key)) return null;
  const [row] = await db
    .select({ keyId: apiKeys.id, id: users.id, email: users.email, sessionVersion: users.sessionVersion })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.keyHash, hashKey(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row) return null;
  // At most one write a minute per key: thousands of uploads must not queue on this one row.
  await db
    .update(apiKeys)
    .set({ lastUsedAt: new Date() })
    .where(and(eq(apiKeys.id, row.keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`))));
  return { id: row.id, email: row.email, role: roleForEmail(row.email), sessionVersion: row.sessionVersion };
}
