// Sites (a project's stable target on a platform), deployments and their events, the manifests (file
// lists) they deploy, stored once by content, and the manifests proposed at negotiate.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import type { AuthMode, DeploymentPlatform, DeploymentStatus } from '@/lib/deployment';
import type { ManifestChanges } from '@/lib/manifest';
import { createdAt, updatedAt } from './columns';
import { users } from './accounts';

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
    /** Its files: the manifest stored under this hash (src/lib/manifest.ts); a redeploy names it as the base of a delta. */
    manifestHash: text('manifest_hash').references(() => manifests.hash),
  },
  (t) => [
    index('deployments_user_id_idx').on(t.userId, t.createdAt),
    index('deployments_chat_id_idx').on(t.chatId),
    index('deployments_status_idx').on(t.status),
    index('deployments_site_idx').on(t.siteId, t.createdAt),
    index('deployments_manifest_hash_idx').on(t.manifestHash, t.userId),
  ],
);

/**
 * A set of files (path → content hash and size), stored once under its manifest hash however many
 * deployments name it: a redeploy or a rollback adds a row only when the set is new. The files are an
 * object in the object store (`object`, `manifests/<id>`), one line per file, `sha256 \t size \t path \n`,
 * in the byte order of the paths (no path holds a control character): a 5,000-file manifest is ~440 KB,
 * which PostgreSQL would keep (with TOAST) for as long as a deployment names it. Rows of an older
 * install keep their lines in `files` until `npm run blobs:migrate` moves them.
 * A redeploy's set is usually stored as a delta of a whole one (`baseHash`): the lines are then only
 * those that differ from it, followed by a NUL and the paths it no longer has (one per line). A delta's
 * base is always a whole manifest, never another delta.
 */
export const manifests = pgTable(
  'manifests',
  {
    hash: text('hash').primaryKey(),
    /** The files' object in the object store; null for an older install's row (its lines in `files`). */
    object: text('object'),
    /** An older install's lines (and a delta's removed paths in `removed`), until moved to an object. */
    files: text('files'),
    /** The whole manifest this one is a delta of; null for a whole one. Kept while a delta names it. */
    baseHash: text('base_hash').references((): AnyPgColumn => manifests.hash),
    removed: text('removed'),
    /** Set again when a deployment names it (unless set within the hour): the cleanup keeps it a day after. */
    createdAt: createdAt(),
  },
  (t) => [
    // Whether a delta names a whole manifest (the cleanup, and the key check when one is deleted).
    index('manifests_base_hash_idx')
      .on(t.baseHash)
      .where(sql`${t.baseHash} is not null`),
  ],
);

/**
 * A manifest a client proposed at negotiate, kept for an hour so that create names it by id instead of
 * carrying it again. Only its user may name it. A whole manifest's files are stored in `manifests`
 * under its hash, a row that keeps no blob from the cleanup until a deployment names it and goes with
 * the last proposal naming it: create looks up again what the user must still hold.
 */
export const proposedManifests = pgTable(
  'proposed_manifests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The hash of the validated files, and the platform they were validated for. */
    manifestHash: text('manifest_hash').notNull(),
    platform: text('platform').$type<DeploymentPlatform>().notNull(),
    /** A delta's base (its manifest hash) and changes; without them, the files are the `manifests` row of `manifestHash`. */
    baseHash: text('base_hash'),
    changes: jsonb('changes').$type<ManifestChanges>(),
    /** The blobs create looks up again (a delta's changed files); null: every file. */
    recheck: text('recheck').array(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('proposed_manifests_user_idx').on(t.userId, t.createdAt),
    index('proposed_manifests_expires_idx').on(t.expiresAt),
    // Whether a live proposal still names a stored manifest (before one no deployment names is dropped).
    index('proposed_manifests_manifest_hash_idx').on(t.manifestHash),
  ],
);

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
