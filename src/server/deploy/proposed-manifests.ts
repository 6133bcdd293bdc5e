// Manifests proposed at negotiate, kept for an hour so that create names one by id: a 5,000-file
// manifest (~0.6 MB of JSON) crosses the network once, and its files are stored by content
// (manifest-store.ts). Only the user who negotiated one can name it. Negotiate checked the files the
// user held (their sizes, for that platform); create checks again the ones still to upload then.
import { and, desc, eq, lte, or, inArray } from 'drizzle-orm';
import type { DeploymentPlatform } from '@/lib/deployment';
import type { ProposedManifest } from '@/lib/manifest';
import type { Db } from '../db/client';
import { proposedManifests } from '../db/schema';
import { AppError } from '../errors';
import { loadManifest, storeManifest } from './manifest-store';

export const PROPOSED_MANIFEST_TTL_MS = 60 * 60 * 1000;
/** A user's live manifests beyond this many are dropped, oldest first: storage stays bounded. */
const MAX_LIVE_PER_USER = 100;

const negotiateAgain = 'Negotiate again (files.negotiate with the files), then create with the manifestId it answers.';

export interface Proposal {
  files: ProposedManifest;
  /** The platform the files were validated for. */
  platform: DeploymentPlatform;
  /** The blobs the user did not hold at negotiate (SHA-256); null when they were many (create checks every file). */
  missing: string[] | null;
}

/** Missing blobs kept with a proposal at most: a first deploy (all missing) keeps none and is checked in full. */
const MISSING_KEPT = 256;

/** Keeps a validated manifest for the user; answers its id. Drops the user's expired and surplus ones. */
export async function keepProposedManifest(db: Db, userId: string, { files, platform, missing }: Proposal, now = new Date()): Promise<string> {
  const surplus = db
    .select({ id: proposedManifests.id })
    .from(proposedManifests)
    .where(eq(proposedManifests.userId, userId))
    .orderBy(desc(proposedManifests.createdAt))
    .offset(MAX_LIVE_PER_USER - 1);
  await db
    .delete(proposedManifests)
    .where(and(eq(proposedManifests.userId, userId), or(lte(proposedManifests.expiresAt, now), inArray(proposedManifests.id, surplus))));
  const [row] = await db
    .insert(proposedManifests)
    .values({
      userId,
      manifestHash: await storeManifest(db, files, now),
      platform,
      missing: missing && missing.length <= MISSING_KEPT ? missing : null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + PROPOSED_MANIFEST_TTL_MS),
    })
    .returning({ id: proposedManifests.id });
  return row!.id;
}

/** The manifest the user negotiated under this id; another user's id reads as unknown. */
export async function proposedManifest(db: Db, userId: string, id: string, now = new Date()): Promise<Proposal> {
  const [row] = await db
    .select({
      manifestHash: proposedManifests.manifestHash,
      platform: proposedManifests.platform,
      missing: proposedManifests.missing,
      expiresAt: proposedManifests.expiresAt,
    })
    .from(proposedManifests)
    .where(and(eq(proposedManifests.id, id), eq(proposedManifests.userId, userId)));
  if (!row) throw new AppError('NOT_FOUND', `No negotiated manifest has the id ${id} (it may have expired and been removed). ${negotiateAgain}`);
  if (row.expiresAt.getTime() <= now.getTime())
    throw new AppError(
      'NOT_FOUND',
      `The manifest ${id} has expired: a negotiated manifest is kept for ${PROPOSED_MANIFEST_TTL_MS / 60_000} minutes. ${negotiateAgain}`,
    );
  return { files: await loadManifest(db, row.manifestHash), platform: row.platform, missing: row.missing };
}

/** For the cleanup job: every user's expired manifests. */
export async function deleteExpiredProposedManifests(db: Db, now = new Date()): Promise<number> {
  const deleted = await db.delete(proposedManifests).where(lte(proposedManifests.expiresAt, now)).returning({ id: proposedManifests.id });
  return deleted.length;
}
