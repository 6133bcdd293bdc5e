// People and what they hold: accounts, sessions and sign-in attempts, API keys, platform connections, the audit log.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { DeploymentPlatform } from '@/lib/deployment';
import { createdAt, updatedAt } from './columns';

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Stored lowercased and trimmed; unique. */
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  /** Bumped to invalidate every session of the user (sign out everywhere, password change). */
  sessionVersion: integer('session_version').notNull().default(1),
  /** 'admin' only by an operator's grant (npm run admin, or an admin on the Admin page), never by sign-up. */
  role: text('role').$type<'user' | 'admin'>().notNull().default('user'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Server-side sessions: the cookie carries a random token; its SHA-256 names the row. Sign-out deletes it. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Attempts counted by the sign-in / sign-up throttle (sliding windows per IP and per account). */
export const authAttempts = pgTable(
  'auth_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** e.g. `sign-in:ip:203.0.113.7`, `sign-in:account:<email>`. */
    key: text('key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('auth_attempts_key_idx').on(t.key, t.createdAt)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The first characters of the key, shown in lists so a person can tell keys apart. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key (hex). The key itself is shown once and never stored. */
    keyHash: text('key_hash').notNull().unique(),
    /** What the key may do (src/lib/api-key-scopes.ts); everything else needs a session. */
    scopes: text('scopes')
      .array()
      .notNull()
      .default(sql`'{deploy,status}'::text[]`),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_user_id_idx').on(t.userId)],
);

export const connections = pgTable(
  'connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    platform: text('platform').$type<DeploymentPlatform>().notNull(),
    /** Vault envelope of the platform credentials (see src/server/vault). */
    secretCiphertext: text('secret_ciphertext').notNull(),
    keyId: text('key_id').notNull(),
    /** Non-secret facts read from the platform: account name, subdomain, region, app id. */
    accountFacts: jsonb('account_facts').$type<Record<string, string>>().notNull().default({}),
    /** A masked hint such as "…9f3a" so a person recognises the credential. */
    secretHint: text('secret_hint').notNull(),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('connections_user_platform_idx').on(t.userId, t.platform)],
);

/** A person's website project (the "chat" of the seed: its id is the chat id of its deployments). */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    chatId: text('chat_id'),
    platform: text('platform'),
    authMode: text('auth_mode'),
    targetId: text('target_id'),
    fileCount: integer('file_count'),
    totalSizeBytes: bigint('total_size_bytes', { mode: 'number' }),
    outcome: text('outcome').notNull().default('ok'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true })
      .notNull()
      .default(sql`now()`),
  },
  (t) => [index('audit_log_user_idx').on(t.userId, t.createdAt), index('audit_log_created_idx').on(t.createdAt)],
);
