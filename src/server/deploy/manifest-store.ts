// A deployment's files are a manifest stored once by content: one `manifests` row under its hash, named
// by every deployment of the same files, its lines an object in the object store. A redeploy or a rollback of a 5,000-file site writes one row
// or none, not 5,000; and since the files under a hash never change, this process keeps the manifests
// it used lately in memory, so negotiate, create and the runner compute or read one once.
// A redeploy's files mostly are those of the deployment it follows: stored as a delta of that whole
// manifest (the lines that differ), a one-file redeploy of a 5,000-file site stores a few hundred bytes
// instead of ~440 KB.
import { and, desc, eq, exists, isNotNull, isNull, lt, notExists, sql, type SQLWrapper } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { LRUCache } from 'lru-cache';
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import type { Manifest } from '@/lib/site-files';
import { applyChanges, diffManifests, inByteOrder, manifestHash, type ManifestChanges, type ProposedManifest } from '@/lib/manifest';
import type { Db, Tx } from '../db/client';
import { deployments, manifests, proposedManifests, sites } from '../db/schema';
import { getObjectStore } from '../storage/from-env';
import { ObjectNotFound, readAll } from '../storage/object-store';
import { AppError } from '../errors';
import { asValidated } from './files';
import { anyOf, MARKED_RECENTLY_MS } from './blob-catalog';
import { inBatches, keysMadeBefore, newPackId } from './blob-keys';

/** A manifest no deployment names is kept this long after its last use. */
export const MANIFEST_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * The files under a hash as validation makes them (path order, content types), for the 32 manifests
 * this process computed, read or deployed last (a 5,000-file manifest is ~1 MB of heap): negotiate,
 * create and the runner then sort and type 5,000 paths once. Frozen and shared, never copied: whoever
 * reads one builds a new map to change it.
 */
const cache = new LRUCache<string, Readonly<Manifest>>({ max: 32 });

/**
 * Keeps the validated form (`validateManifest`, `asValidated`) of the files under `hash`; it becomes
 * the cache's own, frozen. Answers what is kept (an equal manifest kept before is kept instead).
 */
export function rememberManifest(hash: string, manifest: Manifest): Readonly<Manifest> {
  const kept = cache.get(hash);
  if (kept) return kept;
  for (const entry of Object.values(manifest)) Object.freeze(entry);
  cache.set(hash, Object.freeze(manifest));
  return manifest;
}

/** The validated form of the files under this hash, when this process used them lately (shared: never changed). */
export const inMemory = (hash: string): Readonly<Manifest> | undefined => cache.get(hash);

/**
 * The manifest's hash; this process then knows the files under it (`inMemory`). `knownHash`: their
 * hash, computed already from these same files (not again).
 */
export async function hashAndRemember(manifest: Manifest, knownHash?: string): Promise<string> {
  const hash = knownHash ?? (await manifestHash(manifest));
  rememberManifest(hash, manifest);
  return hash;
}

/** Files read from storage (a row, a proposal) under a hash: used only when they hash to it. */
export async function verified(files: ProposedManifest, hash: string): Promise<Readonly<Manifest>> {
  if ((await manifestHash(files)) !== hash) throw new Error(`The stored manifest ${hash.slice(0, 64)} does not hash to its name.`);
  return rememberManifest(hash, asValidated(files));
}

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
    if (end < 0 || sizeEnd < 0 || sizeEnd > end) throw new Error(`A stored manifest line is malformed (at character ${at}).`);
    out.push([files.slice(sizeEnd + 1, end), { sha256: files.slice(at, at + 64), size: Number(files.slice(at + 65, sizeEnd)) }]);
    at = end + 1;
  }
  return Object.fromEntries(out);
}

/** A stored manifest the files likely differ little from, or a lookup of one (made only if a row is written). */
export type Near = string | (() => Promise<string | undefined>);

/** A manifest is stored as a delta when it changes at most this share of its files (it is whole otherwise). */
const DELTA_AT_MOST = 1 / 4;

/**
 * Stores the manifest (validated by the caller: normalized paths, hex hashes) unless a row already
 * has it, and marks it used now unless it was within the hour; answers its hash. `knownHash`: what
 * `hashAndRemember` just answered for these same files, not computed again. `near`: a stored manifest
 * these files likely differ little from (a delta's base, the site's last deployment): they are stored
 * as a delta of it (or of the whole manifest it is a delta of) when few files differ.
 */
export async function storeManifest(db: Db | Tx, manifest: ProposedManifest, now = new Date(), knownHash?: string, near?: Near): Promise<string> {
  const hash = knownHash ?? (await manifestHash(manifest));
  if (await markManifestUsed(db, hash, now)) return hash;
  const nearHash = typeof near === 'function' ? await near() : near;
  const delta = nearHash ? await deltaOf(db, manifest, nearHash, now) : undefined;
  const object = await putLines(delta ? encodeDelta(delta.changes) : encodeManifest(manifest));
  const [stored] = await db
    .insert(manifests)
    .values({ hash, object, baseHash: delta?.base ?? null, createdAt: now })
    .onConflictDoNothing({ target: manifests.hash })
    .returning({ hash: manifests.hash });
  // Stored by another request meanwhile: that row is the one, marked used; this object goes.
  if (!stored) {
    await getObjectStore().delete(object);
    await markManifestUsed(db, hash, now);
  }
  return hash;
}

/**
 * A manifest's lines as a new object (`manifests/<id>`, its id time-ordered as a pack's: the cleanup
 * removes one no row names once it is a day old). Written before the row that names it.
 */
async function putLines(lines: string): Promise<string> {
  const key = `manifests/${newPackId()}`;
  await getObjectStore().put(key, Buffer.from(lines, 'utf8'));
  return key;
}

/** A delta's lines: the changed files, then a NUL and the removed paths, one per line. */
const encodeDelta = (changes: ManifestChanges) =>
  encodeManifest(changes.changed) + (changes.removed.length > 0 ? `\0${inByteOrder([...changes.removed]).join('\n')}` : '');

/** A row's lines (from its object, or an older install's `files`), split into files and removed paths. */
async function linesOf(row: { object: string | null; files: string | null; removed: string | null }): Promise<{ files: string; removed: string | null }> {
  if (row.object === null) return { files: row.files ?? '', removed: row.removed };
  const text = (await readAll(await getObjectStore().get(row.object))).toString('utf8');
  const nul = text.indexOf('\0');
  return nul < 0 ? { files: text, removed: null } : { files: text.slice(0, nul), removed: text.slice(nul + 1) };
}

/**
 * Whether the row is stored; marked used now unless it was within the hour (a row marked that lately is
 * no candidate for the cleanup's day of grace). Marked before the caller names it: a cleanup waiting to
 * delete it finds it fresh and keeps it (PostgreSQL rechecks the age on the row it waited for).
 */
async function markManifestUsed(db: Db | Tx, hash: string, now: Date): Promise<boolean> {
  const [row] = await db.select({ createdAt: manifests.createdAt }).from(manifests).where(eq(manifests.hash, hash));
  if (!row) return false;
  if (row.createdAt.getTime() > now.getTime() - MARKED_RECENTLY_MS) return true;
  return (await db.update(manifests).set({ createdAt: now }).where(eq(manifests.hash, hash)).returning({ hash: manifests.hash })).length > 0;
}

/**
 * The files as changes of the whole manifest `near` is or is a delta of, when few enough differ. That
 * row is then marked used, so the delta never names a row being removed.
 */
async function deltaOf(db: Db | Tx, manifest: ProposedManifest, near: string, now: Date): Promise<{ base: string; changes: ManifestChanges } | undefined> {
  const [nearRow] = await db.select({ baseHash: manifests.baseHash }).from(manifests).where(eq(manifests.hash, near));
  if (!nearRow) return undefined;
  const base = nearRow.baseHash ?? near;
  const changes = diffManifests(await loadManifest(db, base), manifest);
  if (Object.keys(changes.changed).length + changes.removed.length > Object.keys(manifest).length * DELTA_AT_MOST) return undefined;
  return (await markManifestUsed(db, base, now)) ? { base, changes } : undefined;
}

/** The manifest stored under this hash (from memory when this process used it lately). */
export async function loadManifest(db: Db | Tx, hash: string): Promise<Readonly<Manifest>> {
  return inMemory(hash) ?? readStoredManifest(db, hash);
}

/** The manifest as its row holds it (a delta's base from memory when this process used it lately), checked against its hash. */
export async function readStoredManifest(db: Db | Tx, hash: string): Promise<Readonly<Manifest>> {
  const row = await readRow(db, hash);
  if (!row) throw new AppError('NOT_FOUND', `No stored manifest has the hash ${hash.slice(0, 64)}.`);
  const files = row.baseHash ? applyChanges(await loadBase(db, row.baseHash), changesOf(row)) : decodeManifest(row.files);
  // Read back as it was hashed, or not used: a row changed by hand would deploy other files.
  return verified(files, hash);
}

/** A delta's base: a whole manifest (a delta of a delta is never stored, so none is followed). */
async function loadBase(db: Db | Tx, hash: string): Promise<Readonly<ProposedManifest>> {
  const known = inMemory(hash);
  if (known) return known;
  const row = await readRow(db, hash);
  // A broken invariant (the foreign key keeps a delta's base), not a hash anyone asked for.
  if (!row) throw new Error(`The base ${hash.slice(0, 64)} of a stored delta is not stored.`);
  if (row.baseHash) throw new Error(`The stored manifest ${hash.slice(0, 64)} is a delta's base and a delta itself.`);
  return verified(decodeManifest(row.files), hash);
}

/**
 * A row and its lines (a delta's changed ones, and its removed paths), as stored. Read again once
 * when its object is gone: the cleanup stored the delta whole (a new object) between the two reads,
 * and removed the old object.
 */
export async function readRow(
  db: Db | Tx,
  hash: string,
  again = true,
): Promise<{ baseHash: string | null; files: string; removed: string | null } | undefined> {
  const [row] = await db
    .select({ object: manifests.object, files: manifests.files, baseHash: manifests.baseHash, removed: manifests.removed })
    .from(manifests)
    .where(eq(manifests.hash, hash));
  if (!row) return undefined;
  try {
    return { baseHash: row.baseHash, ...(await linesOf(row)) };
  } catch (err) {
    if (again && err instanceof ObjectNotFound) return readRow(db, hash, false);
    throw err;
  }
}

const changesOf = (row: { files: string; removed: string | null }): ManifestChanges => ({
  changed: decodeManifest(row.files),
  removed: row.removed ? row.removed.split('\n') : [],
});

/**
 * The manifest the newest deployment of the user's site (project, platform, mode) names: what a
 * redeploy sent whole most likely differs little from (that deployment may have failed or be a
 * rollback: the base is then less close, the files stored are right all the same). Undefined for a new site.
 */
export async function lastManifestOfSite(
  db: Db | Tx,
  site: { userId: string; chatId: string; platform: DeploymentPlatform; authMode: AuthMode },
): Promise<string | undefined> {
  const [row] = await db
    .select({ manifestHash: deployments.manifestHash })
    .from(deployments)
    .innerJoin(sites, eq(sites.id, deployments.siteId))
    .where(
      and(
        eq(sites.userId, site.userId),
        eq(sites.chatId, site.chatId),
        eq(sites.platform, site.platform),
        eq(sites.authMode, site.authMode),
        isNotNull(deployments.manifestHash),
      ),
    )
    .orderBy(desc(deployments.createdAt))
    .limit(1);
  return row?.manifestHash ?? undefined;
}

/** A deployment (of `userId`, when given) names the `manifests` row in scope (for `exists` / `notExists`). */
const namedByDeployment = (db: Db | Tx, userId?: SQLWrapper) =>
  db
    .select({ one: sql`1` })
    .from(deployments)
    .where(and(eq(deployments.manifestHash, manifests.hash), userId ? eq(deployments.userId, userId) : undefined));

const delta = alias(manifests, 'delta');

/** A delta names the `manifests` row in scope as its base (for `exists` / `notExists`). */
const baseOfDelta = (db: Db | Tx) =>
  db
    .select({ one: sql`1` })
    .from(delta)
    .where(eq(delta.baseHash, manifests.hash));

/**
 * For the cleanup: manifests no deployment names, unused for a day, and no delta's base. Twice: a
 * whole manifest goes once its deltas went (the first round).
 */
export async function collectManifests(db: Db, now: Date): Promise<number> {
  await wholeAgain(db, now);
  let total = 0;
  for (let round = 0; round < 2; round++) {
    const deleted = await db
      .delete(manifests)
      .where(and(lt(manifests.createdAt, new Date(now.getTime() - MANIFEST_GRACE_MS)), notExists(namedByDeployment(db)), notExists(baseOfDelta(db))))
      .returning({ object: manifests.object });
    for (const { object } of deleted) if (object) await getObjectStore().delete(object);
    total += deleted.length;
    if (deleted.length === 0) break;
  }
  return total;
}

/**
 * The deltas of a base no deployment names any more (its deployments went with their user), unused
 * for a day: stored whole again, so that the base can go. A delta another user deploys must not keep
 * someone else's earlier files. A create marking the base meanwhile keeps it (the cleanup's age check).
 */
async function wholeAgain(db: Db, now: Date): Promise<void> {
  const bases = await db
    .select({ hash: manifests.hash })
    .from(manifests)
    .where(and(lt(manifests.createdAt, new Date(now.getTime() - MANIFEST_GRACE_MS)), notExists(namedByDeployment(db)), exists(baseOfDelta(db))))
    .limit(100);
  for (const { hash: base } of bases) {
    for (const { hash } of await db.select({ hash: manifests.hash }).from(manifests).where(eq(manifests.baseHash, base))) {
      // Read (and checked against its name) before it is rewritten: the same files, whole. One that
      // cannot be read (changed by hand) is left as it is, with its base, for an operator to see.
      const files = await loadManifest(db, hash).catch((err: unknown) => {
        console.error(`[cleanup] the stored manifest ${hash} cannot be made whole:`, err instanceof Error ? err.message : err);
        return null;
      });
      if (!files) continue;
      // A new object, then the row names it: a reader of the row as it was still finds its object
      // (or reads the row again: readRow).
      const object = await putLines(encodeManifest(files));
      const [old] = await db.select({ object: manifests.object }).from(manifests).where(eq(manifests.hash, hash));
      const changed = await db
        .update(manifests)
        .set({ object, files: null, baseHash: null, removed: null })
        .where(and(eq(manifests.hash, hash), eq(manifests.baseHash, base)))
        .returning({ hash: manifests.hash });
      if (changed.length === 0) await getObjectStore().delete(object);
      else if (old?.object) await getObjectStore().delete(old.object);
    }
  }
}

/**
 * An older install's manifests, their lines in PostgreSQL, moved into objects (`npm run blobs:migrate`),
 * `batch` rows at a time: a row names its object only once the object is stored, so a stopped run
 * loses nothing. Answers how many moved.
 */
export async function moveLegacyManifests(db: Db, batch = 50): Promise<number> {
  let moved = 0;
  for (;;) {
    const rows = await db
      .select({ hash: manifests.hash, files: manifests.files, removed: manifests.removed })
      .from(manifests)
      .where(isNull(manifests.object))
      .limit(batch);
    for (const row of rows) {
      const object = await putLines((row.files ?? '') + (row.removed ? `\0${row.removed}` : ''));
      const [done] = await db
        .update(manifests)
        .set({ object, files: null, removed: null })
        .where(and(eq(manifests.hash, row.hash), isNull(manifests.object)))
        .returning({ hash: manifests.hash });
      if (done) moved++;
      else await getObjectStore().delete(object);
    }
    if (rows.length < batch) return moved;
  }
}

/**
 * Objects of manifests no row names, a day old (their id says when they were made): rows removed in a
 * transaction (`dropUnproposed`), and objects written for a row that was never committed.
 */
export async function collectLeftoverManifests(db: Db, now: Date): Promise<number> {
  const objects = getObjectStore();
  let deleted = 0;
  for await (const batch of inBatches(keysMadeBefore(objects, 'manifests/', now.getTime() - MANIFEST_GRACE_MS))) {
    const named = new Set((await db.select({ object: manifests.object }).from(manifests).where(anyOf(manifests.object, batch))).map((r) => r.object));
    for (const key of batch.filter((k) => !named.has(k))) {
      await objects.delete(key);
      deleted++;
    }
  }
  return deleted;
}

/**
 * Manifests stored for proposals that were just dropped: removed unless a deployment or another
 * proposal still names them. Negotiating thus keeps at most a user's live proposals' worth of
 * manifests nobody deploys, as proposals are bounded (not a day's worth of any number of them). Their
 * objects go at once, as no row names them any more; in a transaction, which may yet be undone, or when
 * a delete fails, they are left to the cleanup's sweep (`collectLeftoverManifests`).
 */
export async function dropUnproposed(db: Db | Tx, hashes: string[]): Promise<void> {
  if (hashes.length === 0) return;
  const dropped = await db
    .delete(manifests)
    .where(
      and(
        anyOf(manifests.hash, [...new Set(hashes)]),
        notExists(namedByDeployment(db)),
        notExists(baseOfDelta(db)),
        notExists(
          db
            .select({ one: sql`1` })
            .from(proposedManifests)
            .where(and(eq(proposedManifests.manifestHash, manifests.hash), isNull(proposedManifests.baseHash))),
        ),
      ),
    )
    .returning({ object: manifests.object });
  if ('rollback' in db) return;
  // At once, and as well as they go: one that fails is the sweep's, not the caller's failure.
  const objects = getObjectStore();
  await Promise.allSettled(dropped.flatMap(({ object }) => (object ? [objects.delete(object)] : [])));
}
