// Manifests proposed at negotiate, kept for an hour so that create names one by id: a 5,000-file
// manifest (~0.6 MB of JSON) crosses the network once. A whole manifest is stored at once where create
// would store it (`manifests`, by content: a second copy in the proposal was ~0.5 MB of PostgreSQL per
// new site-5k deploy), and the proposal names it; a delta is kept as its base and its changes (a few
// hundred bytes). Only the user who negotiated one can name it.
// Negotiate checked what the user held then; a proposal keeps nothing from the cleanup, so create
// looks up again what could have gone since: every file, or the changed files of a delta (the base's
// are kept by the deployment that names them).
import { and, desc, eq, lte, or, inArray } from 'drizzle-orm';
import type { DeploymentPlatform } from '@/lib/deployment';
import { applyChanges, type ManifestChanges, type ProposedManifest } from '@/lib/manifest';
import type { Db } from '../db/client';
import { proposedManifests } from '../db/schema';
import { AppError } from '../errors';
import { blobsOf } from './files';
import { dropUnproposed, inMemory, loadManifest, storeManifest, verified, type Near } from './manifest-store';

export const PROPOSED_MANIFEST_TTL_MS = 60 * 60 * 1000;
/** A user's live manifests beyond this many are dropped, oldest first: storage stays bounded. */
const MAX_LIVE_PER_USER = 100;
/** Blobs to look up again kept with a delta at most; beyond, create looks up every file. */
const RECHECK_KEPT = 256;

const negotiateAgain = 'Negotiate again (files.negotiate with the files), then create with the manifestId it answers.';

export interface Proposal {
  /** The manifest hash of the validated files (this process knows them under it: `hashAndRemember`). */
  hash: string;
  files: ProposedManifest;
  /** The platform the files were validated for. */
  platform: DeploymentPlatform;
  /** A delta's base (its manifest hash) and its changes, with paths as stored. */
  delta?: { base: string; changes: ManifestChanges };
  /** For whole files: a stored manifest they likely differ little from (stored as a delta of it then). */
  near?: Near;
}

export interface NegotiatedManifest {
  /** The manifest hash of `files`. */
  hash: string;
  files: ProposedManifest;
  platform: DeploymentPlatform;
  /** The blobs create must look up again; null: every file. */
  recheck: string[] | null;
  /** A delta's base (a stored manifest): the files differ little from it. */
  base: string | null;
}

/** Keeps a validated manifest for the user; answers its id. Drops the user's expired and surplus ones. */
export async function keepProposedManifest(db: Db, userId: string, proposal: Proposal, now = new Date()): Promise<string> {
  const surplus = db
    .select({ id: proposedManifests.id })
    .from(proposedManifests)
    .where(eq(proposedManifests.userId, userId))
    .orderBy(desc(proposedManifests.createdAt))
    .offset(MAX_LIVE_PER_USER - 1);
  const dropped = await db
    .delete(proposedManifests)
    .where(and(eq(proposedManifests.userId, userId), or(lte(proposedManifests.expiresAt, now), inArray(proposedManifests.id, surplus))))
    .returning({ manifestHash: proposedManifests.manifestHash, baseHash: proposedManifests.baseHash });
  await dropUnproposed(db, wholeOnes(dropped));
  const { delta } = proposal;
  const recheck = delta ? blobsOf(delta.changes.changed) : null;
  // Stored (or marked used) now, as create would: create then finds it and writes nothing.
  if (!delta) await storeManifest(db, proposal.files, now, proposal.hash, proposal.near);
  const [row] = await db
    .insert(proposedManifests)
    .values({
      userId,
      manifestHash: proposal.hash,
      platform: proposal.platform,
      ...(delta ? { baseHash: delta.base, changes: delta.changes } : {}),
      recheck: recheck && recheck.length <= RECHECK_KEPT ? recheck : null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + PROPOSED_MANIFEST_TTL_MS),
    })
    .returning({ id: proposedManifests.id });
  return row!.id;
}

/** The manifest the user negotiated under this id; another user's id reads as unknown. */
export async function proposedManifest(db: Db, userId: string, id: string, now = new Date()): Promise<NegotiatedManifest> {
  const [row] = await db
    .select()
    .from(proposedManifests)
    .where(and(eq(proposedManifests.id, id), eq(proposedManifests.userId, userId)));
  if (!row) throw new AppError('NOT_FOUND', `No negotiated manifest has the id ${id} (it may have expired and been removed). ${negotiateAgain}`);
  if (row.expiresAt.getTime() <= now.getTime())
    throw new AppError(
      'NOT_FOUND',
      `The manifest ${id} has expired: a negotiated manifest is kept for ${PROPOSED_MANIFEST_TTL_MS / 60_000} minutes. ${negotiateAgain}`,
    );
  return { hash: row.manifestHash, files: await filesOf(db, row), platform: row.platform, recheck: row.recheck, base: row.baseHash };
}

/**
 * From memory when this process negotiated it; else the stored manifest it names, or its base and
 * changes, checked against its hash.
 */
async function filesOf(db: Db, row: typeof proposedManifests.$inferSelect): Promise<ProposedManifest> {
  const known = inMemory(row.manifestHash);
  if (known) return known;
  if (!row.baseHash || !row.changes) return loadManifest(db, row.manifestHash);
  return verified(applyChanges(await loadManifest(db, row.baseHash), row.changes), row.manifestHash);
}

/** For the cleanup job: every user's expired manifests. */
export async function deleteExpiredProposedManifests(db: Db, now = new Date()): Promise<number> {
  const deleted = await db
    .delete(proposedManifests)
    .where(lte(proposedManifests.expiresAt, now))
    .returning({ manifestHash: proposedManifests.manifestHash, baseHash: proposedManifests.baseHash });
  await dropUnproposed(db, wholeOnes(deleted));
  return deleted.length;
}

/** The stored manifests that dropped whole proposals named (a delta's names none). */
const wholeOnes = (dropped: { manifestHash: string; baseHash: string | null }[]) => dropped.filter((d) => d.baseHash === null).map((d) => d.manifestHash);
