// A deployment's files are a manifest stored once by content: one `manifests` row under its hash, named
// by every deployment and proposal of the same files. A redeploy or a rollback of a 5,000-file site
// writes one row or none, not 5,000; and since a stored manifest never changes, this process keeps
// the ones it used lately in memory, so negotiate, create and the runner read a manifest once.
import { and, eq, lt, notExists, sql } from 'drizzle-orm';
import { inByteOrder, manifestHash, type ProposedManifest } from '@/lib/manifest';
import type { Db, Tx } from '../db/client';
import { deployments, manifests, proposedManifests } from '../db/schema';
import { AppError } from '../errors';

/** A manifest unused (no deployment or proposal names it) is kept this long after its last use. */
export const MANIFEST_GRACE_MS = 24 * 60 * 60 * 1000;

/** Manifests kept in memory, least recently used out (a 5,000-file manifest is ~1 MB of heap). */
const CACHED = 32;
const cache = new Map<string, ProposedManifest>();

function remember(hash: string, manifest: ProposedManifest): void {
  cache.delete(hash);
  cache.set(hash, manifest);
  if (cache.size > CACHED) cache.delete(cache.keys().next().value!);
}

/** A copy: callers may change what they are given. */
const copy = (m: ProposedManifest): ProposedManifest => ({ ...m });

/** The stored form: `sha256 \t size \t path \n` per file, in the byte order of the paths. */
export function encodeManifest(manifest: ProposedManifest): string {
  return inByteOrder(Object.keys(manifest))
    .map((path) => `${manifest[path]!.sha256}\t${manifest[path]!.size}\t${path}\n`)
    .join('');
}

export function decodeManifest(files: string): ProposedManifest {
  const out: [string, { sha256: string; size: number }][] = [];
  let at = 0;
  while (at < files.length) {
    const end = files.indexOf('\n', at);
    const sizeEnd = files.indexOf('\t', at + 65);
    out.push([files.slice(sizeEnd + 1, end), { sha256: files.slice(at, at + 64), size: Number(files.slice(at + 65, sizeEnd)) }]);
    at = end + 1;
  }
  return Object.fromEntries(out);
}

/**
 * Stores the manifest (validated by the caller: normalized paths, hex hashes) unless a row already
 * has it, and marks it used now; answers its hash.
 */
export async function storeManifest(db: Db | Tx, manifest: ProposedManifest, now = new Date()): Promise<string> {
  const hash = await manifestHash(manifest);
  // Marking it used first: the cleanup cannot remove it between this and the caller naming it.
  const touched = await db.update(manifests).set({ createdAt: now }).where(eq(manifests.hash, hash)).returning({ hash: manifests.hash });
  if (touched.length === 0)
    await db
      .insert(manifests)
      .values({ hash, files: encodeManifest(manifest), createdAt: now })
      .onConflictDoUpdate({ target: manifests.hash, set: { createdAt: now } });
  remember(hash, Object.fromEntries(Object.entries(manifest).map(([path, f]) => [path, { sha256: f.sha256, size: f.size }])));
  return hash;
}

/** The manifest stored under this hash (from memory when this process used it lately). */
export async function loadManifest(db: Db | Tx, hash: string): Promise<ProposedManifest> {
  const cached = cache.get(hash);
  if (cached) {
    remember(hash, cached);
    return copy(cached);
  }
  const [row] = await db.select({ files: manifests.files }).from(manifests).where(eq(manifests.hash, hash));
  if (!row) throw new AppError('NOT_FOUND', `No stored manifest has the hash ${hash.slice(0, 64)}.`);
  const manifest = decodeManifest(row.files);
  // Read back as it was hashed, or not used: a row changed by hand would deploy other files.
  if ((await manifestHash(manifest)) !== hash) throw new Error(`The stored manifest ${hash} does not hash to its name.`);
  remember(hash, manifest);
  return copy(manifest);
}

/** For the cleanup: manifests no deployment or proposal names, unused for a day. */
export async function collectManifests(db: Db, now: Date): Promise<number> {
  const deleted = await db
    .delete(manifests)
    .where(
      and(
        lt(manifests.createdAt, new Date(now.getTime() - MANIFEST_GRACE_MS)),
        notExists(
          db
            .select({ one: sql`1` })
            .from(deployments)
            .where(eq(deployments.manifestHash, manifests.hash)),
        ),
        notExists(
          db
            .select({ one: sql`1` })
            .from(proposedManifests)
            .where(eq(proposedManifests.manifestHash, manifests.hash)),
        ),
      ),
    )
    .returning({ hash: manifests.hash });
  for (const { hash } of deleted) cache.delete(hash);
  return deleted.length;
}
