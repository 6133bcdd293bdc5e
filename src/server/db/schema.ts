import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { AuthMode, DeploymentPlatform, DeploymentStatus } from '@/lib/deployment';
import type { ProposedManifest } from '@/lib/manifest';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

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
export const projects = pgTable(
  'projects',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    template: text('template'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('projects_user_idx').on(t.userId, t.updatedAt)],
);

/** The current files of a project, as blobs: what the editor shows and a deploy sends. */
export const projectFiles = pgTable(
  'project_files',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    sha256: text('sha256').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.path] }), index('project_files_sha256_idx').on(t.sha256)],
);

/** The stable target of a chat/project on a platform: redeploys update the same Worker / branch. */
export const sites = pgTable(
  'sites',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    chatId: text('chat_id').notNull(),
    name: text('name').notNull(),
    platform: text('platform').$type<DeploymentPlatform>().notNull(),
    authMode: text('auth_mode').$type<AuthMode>().notNull(),
    /** The platform's project that holds the site (an app, an account, a team), as its adapter names it. */
    externalProjectId: text('external_project_id'),
    /** The site itself on that platform (a branch, a script, a site id), as its adapter names it. */
    externalId: text('external_id'),
    url: text('url'),
    status: text('status').$type<'active' | 'expiring' | 'expired' | 'deleted'>().notNull().default('active'),
    currentDeploymentId: uuid('current_deployment_id'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('sites_target_idx').on(t.userId, t.chatId, t.platform, t.authMode),
    index('sites_platform_status_idx').on(t.platform, t.authMode, t.status),
  ],
);

export const deployments = pgTable(
  'deployments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    siteId: uuid('site_id').references(() => sites.id, { onDelete: 'set null' }),
    chatId: text('chat_id').notNull(),
    platform: text('platform').$type<DeploymentPlatform>().notNull(),
    authMode: text('auth_mode').$type<AuthMode>().notNull(),
    externalId: text('external_id'),
    externalProjectId: text('external_project_id'),
    status: text('status').$type<DeploymentStatus>().notNull().default('pending'),
    url: text('url'),
    error: text('error'),
    fileCount: integer('file_count').notNull().default(0),
    totalSizeBytes: bigint('total_size_bytes', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /** The runner's lease: exactly one process works a deployment until lease_until. */
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    /** The step being worked, and what finished steps left for the next ones (resume after a crash). */
    step: text('step').notNull().default('queued'),
    progress: integer('progress').notNull().default(0),
    checkpoint: jsonb('checkpoint').$type<Record<string, unknown>>().notNull().default({}),
    attempts: integer('attempts').notNull().default(0),
    /** A deployment not ready by then ends in error ("Deployment timed out"). */
    deadlineAt: timestamp('deadline_at', { withTimezone: true }),
    errorCode: text('error_code'),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** The earlier deployment a rollback makes live again (platforms that can restore it natively do). */
    rollbackOf: uuid('rollback_of'),
    /** The hash of its files (src/lib/manifest.ts): a redeploy names it as the base of a delta. Null before it was kept. */
    manifestHash: text('manifest_hash'),
  },
  (t) => [
    index('deployments_user_id_idx').on(t.userId, t.createdAt),
    index('deployments_chat_id_idx').on(t.chatId),
    index('deployments_status_idx').on(t.status),
    index('deployments_site_idx').on(t.siteId, t.createdAt),
    index('deployments_manifest_hash_idx').on(t.userId, t.manifestHash),
  ],
);

export const deploymentFiles = pgTable(
  'deployment_files',
  {
    deploymentId: uuid('deployment_id')
      .notNull()
      .references(() => deployments.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    sha256: text('sha256').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    contentType: text('content_type').notNull(),
  },
  (t) => [primaryKey({ columns: [t.deploymentId, t.path] }), index('deployment_files_sha256_idx').on(t.sha256)],
);

/**
 * A manifest a client proposed at negotiate, kept briefly so that create names it by id instead of
 * carrying it again. Only its user may name it; it is checked again, in full, at create.
 */
export const proposedManifests = pgTable(
  'proposed_manifests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Validated paths → sha256 and size. */
    files: jsonb('files').$type<ProposedManifest>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('proposed_manifests_user_idx').on(t.userId, t.createdAt), index('proposed_manifests_expires_idx').on(t.expiresAt)],
);

/**
 * What is known of content-addressed file bytes, stored once whatever number of deployments use them.
 * The bytes themselves live in the object store (server/storage) under their SHA-256.
 */
export const blobs = pgTable(
  'blobs',
  {
    sha256: text('sha256').primaryKey(),
    /** SHA-1 of the same bytes, for the platforms that address files by it; kept once computed. */
    sha1: text('sha1'),
    /** The content-scan rules (their version) these bytes passed; a redeploy scans only bytes not yet passed. */
    scannedWith: text('scanned_with'),
    size: bigint('size', { mode: 'number' }).notNull(),
    /** The pack object holding these bytes at `packOffset` (small files uploaded together share one
     * object); null when the blob is an object of its own (`blobKey`). */
    pack: uuid('pack'),
    packOffset: bigint('pack_offset', { mode: 'number' }),
    /** Set when the blob is stored or uploaded again: the cleanup only collects blobs untouched for a day. */
    createdAt: createdAt(),
  },
  // The cleanup removes a pack once no blob row names it.
  (t) => [
    index('blobs_pack_idx')
      .on(t.pack)
      .where(sql`${t.pack} is not null`),
  ],
);

/** Which user has proven to hold which blob (uploaded its bytes): negotiation answers per user, so
 * nobody can deploy another person's file by knowing its hash. */
export const userBlobs = pgTable(
  'user_blobs',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sha256: text('sha256')
      .notNull()
      .references(() => blobs.sha256, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.sha256] })],
);

/**
 * Parts of a blob larger than one upload request, until the last part arrives and is verified; each
 * part's bytes are an object of their own in the object store.
 */
export const blobChunks = pgTable(
  'blob_chunks',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sha256: text('sha256').notNull(),
    offset: bigint('offset', { mode: 'number' }).notNull(),
    totalSize: bigint('total_size', { mode: 'number' }).notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.sha256, t.offset] }), index('blob_chunks_created_idx').on(t.createdAt)],
);

/** The status history of a deployment; the row id is the SSE event id. */
export const deploymentEvents = pgTable(
  'deployment_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deploymentId: uuid('deployment_id')
      .notNull()
      .references(() => deployments.id, { onDelete: 'cascade' }),
    status: text('status').$type<DeploymentStatus>().notNull(),
    step: text('step').notNull(),
    progress: integer('progress'),
    message: text('message').notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [index('deployment_events_deployment_idx').on(t.deploymentId, t.id)],
);

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
