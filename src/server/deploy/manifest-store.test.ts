// A deployment's files are one manifest stored by content: the same files are one row whoever deploys
// them how often; a row is read back only as it was hashed; the cleanup keeps what a deployment names,
// and the blobs and holds those manifests name. An install upgraded from per-file rows gets a manifest
// per deployment with the very hash its clients compute.
import '@/testing/isolated-db';
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { manifestHash, type ProposedManifest } from '@/lib/manifest';
import { sha256Hex } from './blob-keys';
import * as schema from '@/server/db/schema';
import { blobs, manifests, userBlobs } from '@/server/db/schema';
import { signUp } from '@/server/auth/accounts';
import { useTestDb } from '@/testing/db';
import { upgradedFrom } from '@/testing/upgraded-db';
import { createDeployment } from '@/testing/deploy';
import { useDeploySettings } from '@/testing/deploy-settings';
import { markUsed } from './blob-catalog';
import { BlobStore } from './blob-store';
import { collectBlobs, releaseUnreferencedHoldings } from './cleanup-blobs';
import { asValidated, decodeInlineFiles, namedFiles, storeInlineFiles } from './files';
import {
  collectManifests,
  decodeManifest,
  encodeManifest,
  hashAndRemember,
  loadManifest,
  MANIFEST_GRACE_MS,
  readStoredManifest,
  storeManifest,
} from './manifest-store';
import { keepProposedManifest, proposedManifest } from './proposed-manifests';

const getDb = useTestDb();
const { settings } = useDeploySettings({ limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6 } });
const DAY = 24 * 60 * 60 * 1000;

const hex = () => randomBytes(32).toString('hex');
const someFiles = (n: number): ProposedManifest =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i % 7}/f-${i}-${Math.random().toString(36).slice(2)}.html`, { sha256: hex(), size: i * 97 }]));

/** A deployment of these pages (its files stored for the user), not run: what it names is what counts here. */
async function deployed(userId: string, page: string): Promise<string> {
  const db = await getDb();
  const { proposed, bytes } = decodeInlineFiles({ 'index.html': page });
  await storeInlineFiles(new BlobStore(db), userId, bytes);
  const { deploymentId } = await createDeployment(
    db,
    { userId, chatId: `c-${Math.random()}`, platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed },
    { settings },
  );
  const [row] = await db.select().from(schema.deployments).where(eq(schema.deployments.id, deploymentId));
  return row!.manifestHash!;
}

async function user() {
  return signUp(await getDb(), { email: `m-${randomBytes(4).toString('hex')}@huskit.test`, password: 'a long enough test password' });
}

describe('stored by content', () => {
  it('the text form reads back as the same files, in the byte order of the paths, whatever their characters', () => {
    const files: ProposedManifest = {
      'z.html': { sha256: hex(), size: 1 },
      'café/ü.html': { sha256: hex(), size: 0 },
      'A/😀.css': { sha256: hex(), size: 123456789 },
      'index.html': { sha256: hex(), size: 42 },
      'A/ﬀ.js': { sha256: hex(), size: 7 },
    };
    const text = encodeManifest(files);
    expect(decodeManifest(text)).toEqual(files);
    // The byte order of UTF-8, as the manifest hash sorts: U+FB00 comes before U+1F600 there, after it in UTF-16.
    expect(Object.keys(decodeManifest(text))).toEqual(['A/ﬀ.js', 'A/😀.css', 'café/ü.html', 'index.html', 'z.html']);
    expect(['A/ﬀ.js', 'A/😀.css'].sort()).toEqual(['A/😀.css', 'A/ﬀ.js']);
    expect(text.split('\n')[0]).toBe(`${files['A/ﬀ.js']!.sha256}\t7\tA/ﬀ.js`);
  });

  it('the same files are one row, whatever their order; storing them again marks the row used', async () => {
    const db = await getDb();
    const files = someFiles(50);
    const reversed = Object.fromEntries(Object.entries(files).reverse());
    const hash = await storeManifest(db, files, new Date(Date.now() - 3 * DAY));
    expect(hash).toBe(await manifestHash(files));
    expect(await storeManifest(db, reversed)).toBe(hash);
    const rows = await db.select().from(manifests).where(eq(manifests.hash, hash));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(decodeManifest(rows[0]!.files)).toEqual(files);
  });

  it('a row is read back only when it hashes to its name', async () => {
    const db = await getDb();
    const files = someFiles(5);
    const hash = await manifestHash(files);
    // Written directly, so that this process has never seen it: it is read from the table.
    await db.insert(manifests).values({ hash, files: encodeManifest(files) });
    expect(namedFiles(await loadManifest(db, hash))).toEqual(files);
    const other = someFiles(3);
    const wrongName = await manifestHash(someFiles(2));
    await db.insert(manifests).values({ hash: wrongName, files: encodeManifest(other) });
    await expect(loadManifest(db, wrongName)).rejects.toThrow(/does not hash to its name/);
    await expect(loadManifest(db, hex())).rejects.toThrow(/No stored manifest/);
  });

  it('a malformed stored line is refused, not read on', () => {
    const good = encodeManifest(someFiles(2));
    expect(() => decodeManifest(good.slice(0, -1))).toThrow(/malformed/);
    expect(() => decodeManifest(`${good}${'a'.repeat(64)}\n`)).toThrow(/malformed/);
  });

  it('a manifest given out is shared and frozen: no caller can change what the others read', async () => {
    const db = await getDb();
    const files = someFiles(3);
    const hash = await storeManifest(db, files);
    const first = (await loadManifest(db, hash)) as Record<string, unknown>;
    expect(() => delete first[Object.keys(first)[0]!]).toThrow(TypeError);
    expect(() => Object.assign(Object.values(first)[0]!, { size: 1 })).toThrow(TypeError);
    expect(namedFiles(await loadManifest(db, hash))).toEqual(files);
  });
});

describe('a redeploy stored as a delta', () => {
  /** What the table holds for the hash. */
  const rowOf = async (hash: string) => (await (await getDb()).select().from(manifests).where(eq(manifests.hash, hash)))[0]!;
  const linesOf = (text: string) => text.split('\n').filter(Boolean).length;

  it('holds only what differs from the whole manifest it follows, and reads back the same files from the rows alone', async () => {
    const db = await getDb();
    const v1 = someFiles(40);
    const v1Hash = await storeManifest(db, v1, new Date(Date.now() - 3 * DAY));
    const [gone, changedPath] = Object.keys(v1);
    const v2: ProposedManifest = { ...v1, [changedPath!]: { sha256: hex(), size: 5 }, 'new/page.html': { sha256: hex(), size: 6 } };
    delete v2[gone!];
    const v2Hash = await storeManifest(db, v2, new Date(), undefined, v1Hash);
    expect(await rowOf(v2Hash)).toMatchObject({ baseHash: v1Hash, removed: gone });
    // The base is marked used as the delta names it: a cleanup waiting on its row then keeps it.
    expect((await rowOf(v1Hash)).createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(decodeManifest((await rowOf(v2Hash)).files)).toEqual({ [changedPath!]: v2[changedPath!], 'new/page.html': v2['new/page.html'] });
    expect(namedFiles(await readStoredManifest(db, v2Hash))).toEqual(v2);

    // A redeploy of that one is a delta of the same whole manifest (never a chain), with all that differs from it.
    const v3: ProposedManifest = { ...v2, 'late.css': { sha256: hex(), size: 7 } };
    const v3Hash = await storeManifest(db, v3, new Date(), undefined, v2Hash);
    expect(await rowOf(v3Hash)).toMatchObject({ baseHash: v1Hash, removed: gone });
    expect(linesOf((await rowOf(v3Hash)).files)).toBe(3);
    expect(namedFiles(await readStoredManifest(db, v3Hash))).toEqual(v3);
  });

  it('written by another process (rows this one never saw), reads back from its base row and its own', async () => {
    const db = await getDb();
    const base = someFiles(12);
    const [gone, changedPath] = Object.keys(base);
    const files: ProposedManifest = { ...base, [changedPath!]: { sha256: hex(), size: 9 }, 'new.css': { sha256: hex(), size: 4 } };
    delete files[gone!];
    const [baseHash, hash] = [await manifestHash(base), await manifestHash(files)];
    await db.insert(manifests).values({ hash: baseHash, files: encodeManifest(base) });
    const changed = { [changedPath!]: files[changedPath!]!, 'new.css': files['new.css']! };
    await db.insert(manifests).values({ hash, files: encodeManifest(changed), baseHash, removed: gone! });
    expect(namedFiles(await readStoredManifest(db, hash))).toEqual(files);

    // A delta whose base is itself a delta is refused, not followed (none is ever stored).
    const [inner] = await db.select().from(manifests).where(eq(manifests.hash, hash));
    // Not from this process's memory: a copy of the inner delta under a name never read.
    const innerCopy = await manifestHash(someFiles(1));
    await db.insert(manifests).values({ hash: innerCopy, files: inner!.files, baseHash: inner!.baseHash, removed: inner!.removed });
    const onCopy = `f${hex().slice(1)}`;
    await db.insert(manifests).values({ hash: onCopy, files: encodeManifest({ 'x.js': { sha256: hex(), size: 1 } }), baseHash: innerCopy });
    await expect(readStoredManifest(db, onCopy)).rejects.toThrow(/a delta's base and a delta itself/);
    // The cleanup cannot make such a delta whole: it goes on, and removes these rows no deployment names.
    await db.update(manifests).set({ createdAt: new Date(Date.now() - 2 * DAY) });
    await expect(collectManifests(db, new Date())).resolves.toBeGreaterThanOrEqual(3);
    expect(await db.select().from(manifests).where(eq(manifests.hash, onCopy))).toEqual([]);
  });

  it('is a delta up to a quarter of the files changed, whole beyond', async () => {
    const db = await getDb();
    const v1 = someFiles(40);
    const v1Hash = await storeManifest(db, v1);
    const changing = (n: number) => Object.fromEntries(Object.entries(v1).map(([p, f], i) => [p, i < n ? { sha256: hex(), size: 1 } : f]));
    expect((await rowOf(await storeManifest(db, changing(10), new Date(), undefined, v1Hash))).baseHash).toBe(v1Hash);
    expect((await rowOf(await storeManifest(db, changing(11), new Date(), undefined, v1Hash))).baseHash).toBeNull();
  });

  it('is stored whole when much differs, or when the manifest it follows is not stored', async () => {
    const db = await getDb();
    const v1 = someFiles(40);
    const v1Hash = await storeManifest(db, v1);
    const half = Object.fromEntries(Object.entries(v1).map(([p, f], i) => [p, i % 2 ? { sha256: hex(), size: 1 } : f]));
    const halfHash = await storeManifest(db, half, new Date(), undefined, v1Hash);
    expect(await rowOf(halfHash)).toMatchObject({ baseHash: null, removed: null });
    expect(linesOf((await rowOf(halfHash)).files)).toBe(40);
    const oneMore = { ...v1, 'x.html': { sha256: hex(), size: 2 } };
    const orphanHash = await storeManifest(db, oneMore, new Date(), undefined, hex());
    expect((await rowOf(orphanHash)).baseHash).toBeNull();
  });

  it('is read back only when base and delta hash to its name', async () => {
    const db = await getDb();
    const v1 = someFiles(10);
    const v1Hash = await storeManifest(db, v1);
    const v2 = { ...v1, 'x.html': { sha256: hex(), size: 2 } };
    const v2Hash = await storeManifest(db, v2, new Date(), undefined, v1Hash);
    // The delta's line changed by hand: the files no longer hash to the name.
    await db
      .update(manifests)
      .set({ files: encodeManifest({ 'x.html': { sha256: hex(), size: 2 } }) })
      .where(eq(manifests.hash, v2Hash));
    await expect(readStoredManifest(db, v2Hash)).rejects.toThrow(/does not hash to its name/);
  });
});

describe('the cleanup', () => {
  it('removes manifests unused for a day that no deployment names, and keeps the others', async () => {
    const db = await getDb();
    const u = await user();
    const old = new Date(Date.now() - MANIFEST_GRACE_MS - 60_000);
    const unused = await storeManifest(db, someFiles(3), old);
    const recent = await storeManifest(db, someFiles(3));
    const named = await deployed(u.id, `<p>${Math.random()}</p>`);
    await db.update(manifests).set({ createdAt: old }).where(eq(manifests.hash, named));
    expect(await collectManifests(db, new Date())).toBeGreaterThanOrEqual(1);
    const left = new Set((await db.select({ hash: manifests.hash }).from(manifests)).map((r) => r.hash));
    expect([left.has(unused), left.has(recent), left.has(named)]).toEqual([false, true, true]);
  });

  it('a deployment marks the files it looked up used, so that a cleanup running meanwhile keeps them', async () => {
    const db = await getDb();
    const u = await user();
    const page = `<p>marked ${Math.random()}</p>`;
    const sha = sha256Hex(Buffer.from(page));
    await new BlobStore(db).put(u.id, sha, Buffer.from(page));
    await db
      .update(blobs)
      .set({ createdAt: new Date(Date.now() - 2 * DAY) })
      .where(eq(blobs.sha256, sha));
    await deployed(u.id, page);
    const [row] = await db.select({ createdAt: blobs.createdAt }).from(blobs).where(eq(blobs.sha256, sha));
    expect(row!.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await collectBlobs(db, new Date());
    expect(await db.select({ sha256: blobs.sha256 }).from(blobs).where(eq(blobs.sha256, sha))).toEqual([{ sha256: sha }]);
    // What is missing by then is counted out: the deployment is refused.
    expect(await markUsed(db, [sha, hex()], new Date())).toBe(1);
  });

  it('a proposal’s stored manifest keeps no file from the cleanup: only a deployment’s does', async () => {
    const db = await getDb();
    const u = await user();
    const other = await user();
    // A file someone else uploaded, named (with its hash) in a manifest this user negotiates.
    const theirs = randomBytes(200);
    await new BlobStore(db).put(other.id, sha256Hex(theirs), theirs);
    const files: ProposedManifest = { 'index.html': { sha256: sha256Hex(theirs), size: theirs.length } };
    const hash = await hashAndRemember(asValidated(files));
    await keepProposedManifest(db, u.id, { hash, files, platform: 'cloudflare' });
    expect(await db.select({ hash: manifests.hash }).from(manifests).where(eq(manifests.hash, hash))).toEqual([{ hash }]);
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    await db.update(userBlobs).set({ createdAt: twoDaysAgo }).where(eq(userBlobs.userId, other.id));
    await db
      .update(blobs)
      .set({ createdAt: twoDaysAgo })
      .where(eq(blobs.sha256, sha256Hex(theirs)));
    expect(await releaseUnreferencedHoldings(db, new Date())).toBeGreaterThanOrEqual(1);
    expect(await collectBlobs(db, new Date())).toBeGreaterThanOrEqual(1);
    expect(
      await db
        .select()
        .from(blobs)
        .where(eq(blobs.sha256, sha256Hex(theirs))),
    ).toEqual([]);
  });

  it('keeps the files and holds a stored manifest names, and releases and collects the others', async () => {
    const db = await getDb();
    const u = await user();
    const page = `<p>kept ${Math.random()}</p>`;
    await deployed(u.id, page);
    const loose = randomBytes(300);
    await new BlobStore(db).put(u.id, sha256Hex(loose), loose);
    const keptHash = sha256Hex(Buffer.from(page));
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    await db.update(userBlobs).set({ createdAt: twoDaysAgo }).where(eq(userBlobs.userId, u.id));
    await db
      .update(blobs)
      .set({ createdAt: twoDaysAgo })
      .where(sql`${blobs.sha256} in (${keptHash}, ${sha256Hex(loose)})`);
    expect(await releaseUnreferencedHoldings(db, new Date())).toBe(1);
    expect(await collectBlobs(db, new Date())).toBe(1);
    const held = (await db.select({ sha256: userBlobs.sha256 }).from(userBlobs).where(eq(userBlobs.userId, u.id))).map((r) => r.sha256);
    expect(held).toEqual([keptHash]);
    expect(
      await db
        .select({ sha256: blobs.sha256 })
        .from(blobs)
        .where(eq(blobs.sha256, sha256Hex(loose))),
    ).toEqual([]);
    expect((await new BlobStore(db).get(keptHash)).toString()).toBe(page);
  });
});

describe('the cleanup and deltas', () => {
  it('a whole manifest only a delta’s deployment names keeps its row, files and holds; they go once that deployment goes', async () => {
    const db = await getDb();
    const u = await user();
    const store = new BlobStore(db);
    // Two of ten files differ: a delta.
    const same = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`p${i}.html`, `<p>${i} ${Math.random()}</p>`]));
    const pages = { ...same, 'index.html': `<p>v1 ${Math.random()}</p>`, 'kept.css': `p{} /* ${Math.random()} */`, 'gone.js': `gone(${Math.random()})` };
    const v1 = decodeInlineFiles(pages);
    const v2 = decodeInlineFiles({ ...same, 'index.html': `<p>v2 ${Math.random()}</p>`, 'kept.css': pages['kept.css'] });
    await storeInlineFiles(store, u.id, new Map([...v1.bytes, ...v2.bytes]));
    const chatId = `c-${Math.random()}`;
    const target = { userId: u.id, chatId, platform: 'cloudflare' as const, authMode: 'platform-managed' as const };
    const first = await createDeployment(db, { ...target, manifest: v1.proposed }, { settings });
    const [firstRow] = await db.select().from(schema.deployments).where(eq(schema.deployments.id, first.deploymentId));
    const second = await createDeployment(db, { ...target, manifest: v2.proposed, storedNear: firstRow!.manifestHash! }, { settings });
    const [secondRow] = await db.select().from(schema.deployments).where(eq(schema.deployments.id, second.deploymentId));
    const whole = firstRow!.manifestHash!;
    const delta = secondRow!.manifestHash!;
    expect((await db.select().from(manifests).where(eq(manifests.hash, delta)))[0]).toMatchObject({ baseHash: whole, removed: 'gone.js' });

    /** Files and holds (and the manifests too, unless `manifestsToo` is false) aged past the grace period, then one cleanup. */
    const agedCleanup = async (manifestsToo = true) => {
      const old = new Date(Date.now() - 2 * DAY);
      if (manifestsToo) await db.update(manifests).set({ createdAt: old });
      await db.update(userBlobs).set({ createdAt: old }).where(eq(userBlobs.userId, u.id));
      await db.update(blobs).set({ createdAt: old });
      await releaseUnreferencedHoldings(db, new Date());
      await collectBlobs(db, new Date());
      await collectManifests(db, new Date());
    };
    const held = async () => new Set((await db.select({ sha256: userBlobs.sha256 }).from(userBlobs).where(eq(userBlobs.userId, u.id))).map((r) => r.sha256));
    const stored = async () => new Set((await db.select({ hash: manifests.hash }).from(manifests)).map((r) => r.hash));
    const shaOf = (m: typeof v1, path: string) => m.proposed[path]!.sha256;

    // The first deployment goes: the unchanged file is the whole manifest's only, yet the delta's deployment uses it.
    await db.delete(schema.deployments).where(eq(schema.deployments.id, first.deploymentId));
    await agedCleanup(false);
    expect([(await stored()).has(whole), (await stored()).has(delta)]).toEqual([true, true]);
    const kept = [shaOf(v1, 'kept.css'), shaOf(v2, 'index.html')];
    const checkKept = async () => {
      for (const sha of kept) {
        expect((await held()).has(sha), sha).toBe(true);
        expect((await store.get(sha)).length).toBeGreaterThan(0);
      }
    };
    await checkKept();
    expect(namedFiles(await readStoredManifest(db, delta))).toEqual(v2.proposed);

    // Unused for a day, the base no deployment names goes: its delta is stored whole first (the
    // delta must not keep someone's earlier files), and the files it names stay; the removed one goes.
    await agedCleanup();
    expect([(await stored()).has(whole), (await stored()).has(delta)]).toEqual([false, true]);
    expect((await db.select().from(manifests).where(eq(manifests.hash, delta)))[0]).toMatchObject({ baseHash: null, removed: null });
    expect(namedFiles(await readStoredManifest(db, delta))).toEqual(v2.proposed);
    await agedCleanup();
    await checkKept();
    expect(
      await db
        .select()
        .from(blobs)
        .where(eq(blobs.sha256, shaOf(v1, 'gone.js'))),
    ).toEqual([]);

    // The delta's deployment goes too: its row goes, then its files.
    await db.delete(schema.deployments).where(eq(schema.deployments.id, second.deploymentId));
    await agedCleanup();
    expect((await stored()).has(delta)).toBe(false);
    await agedCleanup();
    expect(await held()).toEqual(new Set());
    for (const sha of kept) expect(await db.select().from(blobs).where(eq(blobs.sha256, sha))).toEqual([]);
  });
});

describe('an install upgraded from one row per deployed file', () => {
  it('gets one manifest per set of files, named by the hash its clients compute, and no per-file rows', async () => {
    await upgradedFrom('0009_blob_packs', async (db, upgrade) => {
      const run = async (q: ReturnType<typeof sql>) => (await db.execute(q)).rows as Record<string, unknown>[];
      const [owner] = await run(sql`insert into users (email, password_hash) values ('old@huskit.test', 'x') returning id`);
      const site: ProposedManifest = {
        'index.html': { sha256: hex(), size: 10 },
        'café/ü.html': { sha256: hex(), size: 0 },
        // Its key's top bit set: a negative bigint.
        'Z.css': { sha256: `f${hex().slice(1)}`, size: 3 },
      };
      const other: ProposedManifest = { 'index.html': { sha256: hex(), size: 11 } };
      const deployments: [string, ProposedManifest][] = [];
      for (const files of [site, site, other]) {
        const [d] = await run(
          sql`insert into deployments (user_id, chat_id, platform, auth_mode, manifest_hash) values (${owner!.id as string}, 'chat', 'cloudflare', 'platform-managed', 'stale') returning id`,
        );
        for (const [p, f] of Object.entries(files))
          await run(
            sql`insert into deployment_files (deployment_id, path, sha256, size, content_type) values (${d!.id as string}, ${p}, ${f.sha256}, ${f.size}, 'text/html')`,
          );
        deployments.push([d!.id as string, files]);
      }
      const [empty] = await run(
        sql`insert into deployments (user_id, chat_id, platform, auth_mode, manifest_hash) values (${owner!.id as string}, 'chat', 'cloudflare', 'platform-managed', 'none') returning id`,
      );

      await upgrade();

      expect(await run(sql`select count(*)::int as n from manifests`)).toEqual([{ n: 2 }]);
      for (const [id, files] of deployments) {
        const [row] = await run(sql`select m.hash, m.files from deployments d join manifests m on m.hash = d.manifest_hash where d.id = ${id}`);
        expect(row!.hash).toBe(await manifestHash(files));
        expect(decodeManifest(row!.files as string)).toEqual(files);
      }
      expect(await run(sql`select manifest_hash from deployments where id = ${empty!.id as string}`)).toEqual([{ manifest_hash: null }]);
      expect(await run(sql`select to_regclass('deployment_files') as t`)).toEqual([{ t: null }]);
      // The cleanup's question, answered by the index's function (0013): a file's key is the first 64 bits of its hash.
      const key = (sha256: string) => BigInt.asIntN(64, BigInt(`0x${sha256.slice(0, 16)}`)).toString();
      expect(await run(sql`select hash from manifests where manifest_blob_keys(files) @> array[${key(site['Z.css']!.sha256)}::bigint]`)).toEqual([
        { hash: await manifestHash(site) },
      ]);
      expect(await run(sql`select count(*)::int as n from manifests where manifest_blob_keys(files) @> array[${key(hex())}::bigint]`)).toEqual([{ n: 0 }]);
      // 0010's function stays for a server of the previous version, whose cleanup calls it.
      expect(await run(sql`select count(*)::int as n from manifests where manifest_blob_hashes(files) @> array[${site['Z.css']!.sha256}]`)).toEqual([{ n: 1 }]);
      const [keys] = await run(sql`select manifest_blob_keys(files)::text[] as keys from manifests where hash = ${await manifestHash(site)}`);
      expect([...(keys!.keys as string[])].sort()).toEqual(
        Object.values(site)
          .map((f) => key(f.sha256))
          .sort(),
      );
    });
  });

  it('keeps the proposals in flight: a whole one’s files move to the stored manifests it now names (0011)', async () => {
    await upgradedFrom('0010_manifests_by_content', async (db, upgrade) => {
      const run = async (q: ReturnType<typeof sql>) => (await db.execute(q)).rows as Record<string, unknown>[];
      const [owner] = await run(sql`insert into users (email, password_hash) values ('proposer@huskit.test', 'x') returning id`);
      const userId = owner!.id as string;
      const whole: ProposedManifest = { 'index.html': { sha256: hex(), size: 10 }, 'ü.css': { sha256: hex(), size: 3 } };
      const wholeHash = await manifestHash(whole);
      const inFlight = async (values: { hash: string; files?: string; base?: string; changes?: string }) =>
        (
          await run(sql`insert into proposed_manifests (user_id, manifest_hash, platform, files, base_hash, changes, created_at, expires_at)
            values (${userId}, ${values.hash}, 'cloudflare', ${values.files ?? null}, ${values.base ?? null}, ${values.changes ?? null}::jsonb, now(), now() + interval '1 hour') returning id`)
        )[0]!.id as string;
      // The same files proposed twice, and a delta against them.
      const first = await inFlight({ hash: wholeHash, files: encodeManifest(whole) });
      const second = await inFlight({ hash: wholeHash, files: encodeManifest(whole) });
      const changed = { 'b.js': { sha256: hex(), size: 1 } };
      const afterDelta: ProposedManifest = { ...whole, ...changed };
      const delta = await inFlight({ hash: await manifestHash(afterDelta), base: wholeHash, changes: JSON.stringify({ changed, removed: [] }) });

      await upgrade();

      expect(await run(sql`select hash, files from manifests`)).toEqual([{ hash: wholeHash, files: encodeManifest(whole) }]);
      expect(await run(sql`select column_name from information_schema.columns where table_name = 'proposed_manifests' and column_name = 'files'`)).toEqual([]);
      // Read as another process would (this one never hashed these files).
      for (const id of [first, second]) expect(namedFiles((await proposedManifest(db, userId, id)).files)).toEqual(whole);
      expect(namedFiles((await proposedManifest(db, userId, delta)).files)).toEqual(afterDelta);
    });
  });
});
