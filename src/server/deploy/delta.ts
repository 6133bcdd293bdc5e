// A redeploy negotiates only what changed: the client names a base (one of its own deployments, by id
// or by manifest hash) and the changes, with the hash the result must have. The server rebuilds the
// whole manifest from the base's stored manifest and refuses when it does not hash as the client says (the
// client then sends the whole manifest): both sides mean the same files, or nothing is deployed.
import { and, desc, eq, isNotNull } from 'drizzle-orm';
import type { DeploymentPlatform } from '@/lib/deployment';
import { manifestHash, type ManifestChanges } from '@/lib/manifest';
import { normalizeSitePath, printablePath, SHA256_HEX, type Manifest } from '@/lib/site-files';
import type { Db } from '../db/client';
import { deployments } from '../db/schema';
import { AppError } from '../errors';
import type { BlobCatalog } from './blob-catalog';
import { checkSite, sendWhole, sitePath, withChanges } from './files';
import { loadManifest } from './manifest-store';

export interface Delta {
  /** A deployment id, or the manifest hash of a deployment. */
  base: string;
  changes: ManifestChanges;
  manifestHash: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Rebuilt {
  /** The files, validated for the platform (path order, content types). */
  manifest: Manifest;
  /** The manifest hash of `manifest` (as the client said: checked). */
  hash: string;
  /** The base's manifest hash, and the changes with their paths as stored. */
  base: string;
  changes: ManifestChanges;
}

/**
 * The whole manifest, from the base and the changes, validated for the platform: the base's files are
 * the user's, already checked (its deployment names them, so they stay held and stored, and its paths
 * are stored normalized); only the changed ones need looking up, and only their paths normalizing.
 */
export async function rebuildFromBase(db: Db, userId: string, delta: Delta, platform: DeploymentPlatform): Promise<Rebuilt> {
  const baseHash = await findBase(db, userId, delta.base);
  if (!baseHash) throw new AppError('CONFLICT', `The base "${delta.base.slice(0, 64)}" is none of your deployments. ${sendWhole}`);
  const base = await loadManifest(db, baseHash);
  const changes = normalizedChanges(delta.changes);
  const rebuilt = withChanges(base, changes);
  const hash = await manifestHash(rebuilt);
  if (hash !== delta.manifestHash)
    throw new AppError(
      'CONFLICT',
      `The base's files with these changes (${Object.keys(rebuilt).length} files) hash to ${hash}, not to the manifestHash sent (${delta.manifestHash}). ${sendWhole}`,
    );
  return { manifest: checkSite(rebuilt, platform), hash, base: baseHash, changes };
}

/**
 * The base's files (those the changes leave as they were) the user no longer holds: a deployment keeps
 * its files from the cleanup, but an object lost from the store (a backup restored, a key removed by
 * hand) takes its pack's row with it when it is read. Those files must be uploaded again, so a delta
 * naming them is answered as a whole manifest would be.
 */
export async function lostBaseFiles(blobs: Pick<BlobCatalog, 'locate'>, userId: string, rebuilt: Rebuilt): Promise<string[]> {
  const kept = keptFiles(rebuilt);
  const held = await blobs.locate(userId, kept);
  return kept.filter((h) => !held.has(h));
}

/** The SHA-256s of the base's files the changes leave as they were. */
export function keptFiles(rebuilt: Rebuilt): string[] {
  const kept = new Set<string>();
  for (const [path, e] of Object.entries(rebuilt.manifest)) if (!Object.hasOwn(rebuilt.changes.changed, path)) kept.add(e.sha256);
  return [...kept];
}

/** The manifest hash of the newest of the user's deployments the base names. */
async function findBase(db: Db, userId: string, base: string): Promise<string | undefined> {
  const byHash = SHA256_HEX.test(base);
  if (!byHash && !UUID.test(base)) return undefined;
  const [row] = await db
    .select({ manifestHash: deployments.manifestHash })
    .from(deployments)
    .where(and(eq(deployments.userId, userId), isNotNull(deployments.manifestHash), byHash ? eq(deployments.manifestHash, base) : eq(deployments.id, base)))
    .orderBy(desc(deployments.createdAt))
    .limit(1);
  return row?.manifestHash ?? undefined;
}

/**
 * Paths as the base's manifest holds them. A changed path that cannot be one is refused as in a whole
 * manifest; a removed one is a conflict: no base of today holds it, and the whole manifest (without it) may be fine.
 */
function normalizedChanges(changes: ManifestChanges): ManifestChanges {
  const changed = Object.entries(changes.changed).map(([raw, f]) => [sitePath(raw), f] as const);
  const removed = new Set(
    changes.removed.map((raw) => {
      const check = normalizeSitePath(raw);
      if (!check.ok) throw new AppError('CONFLICT', `The removed path "${printablePath(raw)}" ${check.reason}: no base holds it. ${sendWhole}`);
      return check.path;
    }),
  );
  if (new Set(changed.map(([p]) => p)).size !== changed.length)
    throw new AppError('BAD_REQUEST', 'Two changed files end up at the same path. Rename one of them.').withAction('fix-files');
  const both = changed.find(([p]) => removed.has(p));
  if (both) throw new AppError('BAD_REQUEST', `"${printablePath(both[0])}" is both changed and removed. Send it in one of the two.`).withAction('fix-files');
  return { changed: Object.fromEntries(changed), removed: [...removed] };
}
