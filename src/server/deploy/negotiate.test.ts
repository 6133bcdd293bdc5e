// Manifests move once: files.negotiate keeps the manifest and answers its id, deployments.create (and
// the REST routes) name the id; a redeploy negotiates only its changes against an earlier deployment.
// Through the real tRPC and blob routes and a real database, counting the bytes a client sends. The
// runner is not what this file is about: deployments stay queued (no platform is reached).
import '@/testing/isolated-db';
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { TRPCClientError } from '@trpc/client';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { deployManifest, INLINE_CHANGES_LIMITS, type DeployCalls, type DeployedManifest } from '@/lib/deploy-client';
import { manifestHash, type ManifestChanges, type ProposedManifest } from '@/lib/manifest';
import { contentTypeFor } from '@/lib/site-files';
import { deployments, manifests, packs, proposedManifests } from '@/server/db/schema';
import { deployCalls, deploymentCount, hashed, newAppCaller, restDeploy, uploadBlobs, type AppCaller } from '@/testing/app-client';
import { useTestDb } from '@/testing/db';
import { trpcOverHttp } from '@/testing/trpc-http';
import { useDeploySettings } from '@/testing/deploy-settings';
import type { HashedFile } from '@/lib/upload';
import { getObjectStore } from '../storage/from-env';
import { BlobStore } from './blob-store';
import { asValidated } from './files';
import { decodeManifest, encodeManifest, readRow, readStoredManifest, storeManifest } from './manifest-store';
import { scanMarkOf } from './scan/kinds';
import { deleteExpiredProposedManifests, keepProposedManifest, PROPOSED_MANIFEST_TTL_MS, proposedManifest } from './proposed-manifests';
import { createDeployment, negotiateFiles } from './service';

vi.mock('@/server/deploy/background', async (importOriginal) => ({ ...(await importOriginal<typeof import('./background')>()), enqueueDeployment: () => {} }));

const getDb = useTestDb();
const { settings } = useDeploySettings({
  limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6, platformQuota: { cloudflare: 1e6, amplify: 1e6, netlify: 1e6, vercel: 1e6 } },
});

let alice: AppCaller;
let bob: AppCaller;
beforeAll(async () => {
  alice = await newAppCaller(await getDb(), 'alice');
  bob = await newAppCaller(await getDb(), 'bob');
});

const chat = () => `chat-${Math.random().toString(36).slice(2, 10)}`;
const site = (files: Record<string, string>) => Object.entries(files).map(([path, text]) => hashed(path, text));
const manifestOf = (files: HashedFile[]): ProposedManifest => Object.fromEntries(files.map((f) => [f.path, { sha256: f.sha256, size: f.bytes.length }]));
const target = (chatId = chat()) => ({ chatId, platform: 'cloudflare' as const, authMode: 'platform-managed' as const });

/** The files of a deployment as its stored manifest row holds them (read from the table, not from memory). */
async function rowsOf(deploymentId: string) {
  const db = await getDb();
  const [row] = await db.select({ manifestHash: deployments.manifestHash }).from(deployments).where(eq(deployments.id, deploymentId));
  return Object.entries(await readStoredManifest(db, row!.manifestHash!))
    .map(([path, f]) => ({ path, sha256: f.sha256, size: f.size, contentType: contentTypeFor(path) ?? 'application/octet-stream' }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function refusedWith(caller: AppCaller, call: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  const before = await deploymentCount(await getDb(), caller.userId);
  try {
    await call();
  } catch (err) {
    if (!(err instanceof TRPCClientError)) throw err;
    expect(await deploymentCount(await getDb(), caller.userId)).toBe(before);
    return { code: (err.data as { code: string }).code, message: err.message };
  }
  throw new Error('expected the call to be refused');
}

const totalSent = (caller: AppCaller) => Object.values(caller.sent).reduce((a, b) => a + b, 0);
const resetSent = (caller: AppCaller) => Object.keys(caller.sent).forEach((k) => delete caller.sent[k]);

describe('negotiate once, create by id', () => {
  it('creates the same deployment files as a create that carries the manifest', async () => {
    // Paths the server normalizes, on both paths alike.
    const files = site({ './index.html': '<h1>same</h1>', 'css/./site.css': 'x', 'img/logo.svg': '<svg/>', 'about.html': '<p>about</p>' });
    await uploadBlobs(alice, files);
    const { missing, manifestId } = await alice.trpc.files.negotiate.mutate({ platform: 'cloudflare', manifest: manifestOf(files) });
    expect(missing).toEqual([]);
    const byId = await alice.trpc.deployments.create.mutate({ ...target(), manifestId });
    const carried = await createDeployment(await getDb(), { userId: alice.userId, ...target(), manifest: manifestOf(files) }, { settings });
    expect(await rowsOf(byId.deploymentId)).toEqual(await rowsOf(carried.deploymentId));
    expect((await rowsOf(byId.deploymentId)).map((r) => r.path)).toEqual(['about.html', 'css/site.css', 'img/logo.svg', 'index.html']);
    const [a, b] = await Promise.all(
      [byId.deploymentId, carried.deploymentId].map(async (id) => (await (await getDb()).select().from(deployments).where(eq(deployments.id, id)))[0]!),
    );
    expect([a!.fileCount, a!.totalSizeBytes, a!.manifestHash]).toEqual([b!.fileCount, b!.totalSizeBytes, b!.manifestHash]);
    expect(a!.manifestHash).toBe(await manifestHash(Object.fromEntries((await rowsOf(a!.id)).map((r) => [r.path, { sha256: r.sha256, size: r.size }]))));
  });

  it('a whole manifest is stored once, at negotiate, and the proposal only names it: create stores nothing more', async () => {
    const db = await getDb();
    const files = site({ 'index.html': `<h1>once ${Math.random()}</h1>`, 'a.css': `a{color:blue} /* ${Math.random()} */` });
    await uploadBlobs(alice, files);
    const hash = await manifestHash(manifestOf(files));
    const { manifestId } = await alice.trpc.files.negotiate.mutate({ platform: 'cloudflare', manifest: manifestOf(files) });
    const [row] = await db.select().from(manifests).where(eq(manifests.hash, hash));
    const stored = await readRow(db, hash);
    expect(decodeManifest(stored!.files)).toEqual(manifestOf(files));
    const [proposal] = await db.select().from(proposedManifests).where(eq(proposedManifests.id, manifestId));
    expect(proposal).toMatchObject({ manifestHash: hash, baseHash: null, changes: null });
    expect(Object.keys(proposal!)).not.toContain('files');
    const { deploymentId } = await alice.trpc.deployments.create.mutate({ ...target(), manifestId });
    const [deployment] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    expect(deployment!.manifestHash).toBe(hash);
    // The same row, not written again (create found it marked within the hour).
    expect(await db.select().from(manifests).where(eq(manifests.hash, hash))).toEqual([row]);
  });

  it('create checks again the files negotiate found missing, and a manifest negotiated for one platform against the rules of the one it goes to', async () => {
    const [page, style] = site({ 'index.html': `<p>again ${Math.random()}</p>`, 'a#b.css': `a{color:red} /* ${Math.random()} */` });
    await uploadBlobs(alice, [page!]);
    const { missing, manifestId } = await alice.trpc.files.negotiate.mutate({ platform: 'cloudflare', manifest: manifestOf([page!, style!]) });
    expect(missing).toEqual([style!.sha256]);
    const early = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...target(), manifestId }));
    expect(early).toEqual({
      code: 'BAD_REQUEST',
      message: '1 file(s) of this deployment were not uploaded yet (first: "a#b.css"). Upload the files the server asked for, then deploy again.',
    });
    await uploadBlobs(alice, [style!]);
    const elsewhere = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...target(), platform: 'netlify', manifestId }));
    expect(elsewhere.message).toBe('Netlify cannot deploy "a#b.css": file names may not contain # or ?. Rename the file.');
    const { deploymentId } = await alice.trpc.deployments.create.mutate({ ...target(), manifestId });
    expect((await rowsOf(deploymentId)).map((r) => [r.path, r.sha256])).toEqual([
      ['a#b.css', style!.sha256],
      ['index.html', page!.sha256],
    ]);
  });

  it('a file held at negotiate but released before create (the cleanup) is refused at create, and nothing is created', async () => {
    const db = await getDb();
    const files = site({ 'index.html': `<p>released ${Math.random()}</p>`, 'r.css': `r{} /* ${Math.random()} */` });
    // One upload each: a pack of its own per file, so the cleanup can remove one without the other.
    for (const f of files) await uploadBlobs(alice, [f]);
    const { missing, manifestId } = await alice.trpc.files.negotiate.mutate({ platform: 'cloudflare', manifest: manifestOf(files) });
    expect(missing).toEqual([]);
    // As the cleanup removes a pack: its row goes (the object after it).
    const held = await new BlobStore(db).locate(alice.userId, [files[1]!.sha256]);
    await db.delete(packs).where(and(eq(packs.userId, alice.userId), eq(packs.id, held.get(files[1]!.sha256)!.pack)));
    expect(
      await new BlobStore(db).missing(
        alice.userId,
        files.map((f) => f.sha256),
      ),
    ).toEqual([files[1]!.sha256]);
    const refusal = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...target(), manifestId }));
    expect(refusal.message).toBe(
      '1 file(s) of this deployment were not uploaded yet (first: "r.css"). Upload the files the server asked for, then deploy again.',
    );
  });

  it('the REST routes take a manifestId negotiated with the API key, and refuse both or neither of files and manifestId', async () => {
    const files = site({ 'index.html': `<p>rest ${Math.random()}</p>` });
    const integrator = trpcOverHttp({ key: alice.key });
    const { missing, manifestId } = await integrator.files.negotiate.mutate({ platform: 'netlify', manifest: manifestOf(files) });
    expect(missing).toEqual([files[0]!.sha256]);
    await uploadBlobs(alice, files);
    const body = { authMode: 'platform-managed', projectName: 'REST by id', chatId: chat() };
    const res = await restDeploy(alice, 'netlify', { ...body, manifestId });
    expect(res.status).toBe(202);
    const { deploymentId } = (await res.json()) as { deploymentId: string };
    expect((await rowsOf(deploymentId)).map((r) => [r.path, r.sha256])).toEqual([['index.html', files[0]!.sha256]]);

    for (const wrong of [{ ...body, manifestId, files: { 'index.html': 'x' } }, body]) {
      const refused = await restDeploy(alice, 'netlify', wrong);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
        'Send the files inline (files), or the manifestId that files.negotiate answered: one of the two.',
      );
    }
    const unknown = await restDeploy(alice, 'netlify', { ...body, manifestId: crypto.randomUUID() });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/Negotiate again/);
  });
});

describe('file names', () => {
  it('files named like Object properties are files: toString through negotiate and create, __proto__ and constructor through the REST files body', async () => {
    const files = [hashed('index.html', `<p>${chat()}</p>`), hashed('hasOwnProperty', `own ${chat()}`), hashed('toString', `str ${chat()}`)];
    const integrator = trpcOverHttp({ key: alice.key });
    const first = await integrator.files.negotiate.mutate({ platform: 'cloudflare', manifest: manifestOf(files) });
    expect(first.missing.sort()).toEqual(files.map((f) => f.sha256).sort());
    await uploadBlobs(alice, files);
    const { missing, manifestId } = await integrator.files.negotiate.mutate({ platform: 'cloudflare', manifest: manifestOf(files) });
    expect(missing).toEqual([]);
    const byId = await integrator.deployments.create.mutate({ ...target(), manifestId });
    expect((await rowsOf(byId.deploymentId)).map((r) => r.path)).toEqual(['hasOwnProperty', 'index.html', 'toString']);

    // tRPC's transport (superjson) refuses keys named __proto__ or constructor outright: said, never dropped in silence.
    const proto = [...files, hashed('__proto__', `proto ${chat()}`), hashed('constructor', `ctor ${chat()}`)];
    await expect(integrator.files.negotiate.mutate({ platform: 'cloudflare', manifest: manifestOf(proto) })).rejects.toThrow(/__proto__|constructor/);
    // The REST body is plain JSON: there it is a file like any other.
    const inline = Object.fromEntries(proto.map((f) => [f.path, Buffer.from(f.bytes).toString('utf8')]));
    const res = await restDeploy(alice, 'netlify', { authMode: 'platform-managed', projectName: 'names', chatId: chat(), files: inline });
    expect(res.status).toBe(202);
    const { deploymentId } = (await res.json()) as { deploymentId: string };
    expect((await rowsOf(deploymentId)).map((r) => r.path)).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'index.html', 'toString']);
  });

  it('a file that is not one is refused by its path, with the message of its field', async () => {
    const refused = await refusedWith(alice, () =>
      trpcOverHttp({ key: alice.key }).files.negotiate.mutate({ platform: 'cloudflare', manifest: { 'index.html': { sha256: 'nope', size: 1 } } }),
    );
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('Each file needs its SHA-256 as 64 lowercase hex characters.') });
  });
});

describe('ids create nothing unless they are the caller’s and live', () => {
  const files = site({ 'index.html': '<p>ids</p>' });
  beforeAll(() => uploadBlobs(alice, files));

  it('an unknown id', async () => {
    const refusal = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...target(), manifestId: crypto.randomUUID() }));
    expect(refusal.code).toBe('NOT_FOUND');
    expect(refusal.message).toMatch(
      /^No negotiated manifest has the id [0-9a-f-]{36} \(it may have expired and been removed\)\. Negotiate again \(files\.negotiate with the files\), then create with the manifestId it answers\.$/,
    );
  });

  it('another user’s id reads as unknown', async () => {
    await uploadBlobs(bob, files);
    const { manifestId } = await bob.trpc.files.negotiate.mutate({ platform: 'cloudflare', manifest: manifestOf(files) });
    const refusal = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...target(), manifestId }));
    expect(refusal).toEqual({
      code: 'NOT_FOUND',
      message: `No negotiated manifest has the id ${manifestId} (it may have expired and been removed). Negotiate again (files.negotiate with the files), then create with the manifestId it answers.`,
    });
    // Bob's own create by it works.
    expect((await bob.trpc.deployments.create.mutate({ ...target(), manifestId })).deploymentId).toBeTruthy();
  });

  it('an expired id, by the server’s clock: kept an hour from negotiate', async () => {
    const db = await getDb();
    const negotiatedAt = new Date(Date.now() - PROPOSED_MANIFEST_TTL_MS - 1000);
    const { manifestId } = await negotiateFiles(db, alice.userId, { platform: 'cloudflare', manifest: manifestOf(files) }, { now: negotiatedAt, settings });
    const refusal = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...target(), manifestId }));
    expect(refusal).toEqual({
      code: 'NOT_FOUND',
      message: `The manifest ${manifestId} has expired: a negotiated manifest is kept for 60 minutes. Negotiate again (files.negotiate with the files), then create with the manifestId it answers.`,
    });
    // The edge of the hour, on a moved clock.
    const fresh = (await negotiateFiles(db, alice.userId, { platform: 'cloudflare', manifest: manifestOf(files) }, { now: negotiatedAt, settings })).manifestId;
    await expect(proposedManifest(db, alice.userId, fresh, new Date(negotiatedAt.getTime() + PROPOSED_MANIFEST_TTL_MS - 1))).resolves.toMatchObject({
      files: manifestOf(files),
      platform: 'cloudflare',
    });
    await expect(proposedManifest(db, alice.userId, fresh, new Date(negotiatedAt.getTime() + PROPOSED_MANIFEST_TTL_MS))).rejects.toThrow(/has expired/);
  });

  it('negotiate takes a manifest or a whole delta, one of the two', async () => {
    const manifest = manifestOf(files);
    const hash = await manifestHash(manifest);
    const delta = { base: hash, changes: { changed: {}, removed: [] }, manifestHash: hash };
    for (const input of [{}, { manifest, ...delta }, { base: hash, manifestHash: hash }]) {
      const refusal = await refusedWith(alice, () => alice.trpc.files.negotiate.mutate({ platform: 'cloudflare', ...input }));
      expect(refusal.code).toBe('BAD_REQUEST');
      expect(refusal.message).toContain('Send the manifest (every file), or a delta: base, changes and manifestHash.');
    }
    const badHash = await refusedWith(alice, () => alice.trpc.files.negotiate.mutate({ platform: 'cloudflare', ...delta, manifestHash: 'ABC' }));
    expect(badHash.message).toContain('manifestHash is a SHA-256 as 64 lowercase hex characters.');
  });

  it('a user keeps at most 100 live manifests: the oldest go first', async () => {
    const db = await getDb();
    const carol = await newAppCaller(db, 'carol');
    const start = Date.now() - 60_000;
    const ids: string[] = [];
    const proposal = { hash: await manifestHash(manifestOf(files)), files: manifestOf(files), platform: 'cloudflare' as const };
    for (let i = 0; i < 101; i++) ids.push(await keepProposedManifest(db, carol.userId, proposal, new Date(start + i * 100)));
    const left = await db.select({ id: proposedManifests.id }).from(proposedManifests).where(eq(proposedManifests.userId, carol.userId));
    expect(new Set(left.map((r) => r.id))).toEqual(new Set(ids.slice(1)));
  });

  it("a dropped proposal's stored manifest goes with it: negotiating stores at most 100 manifests a user nobody deploys", async () => {
    const db = await getDb();
    const dave = await newAppCaller(db, 'dave');
    const start = Date.now() - 60_000;
    const objects: string[] = [];
    for (let i = 0; i < 103; i++) {
      const files: ProposedManifest = { 'index.html': { sha256: randomBytes(32).toString('hex'), size: i } };
      const hash = await manifestHash(files);
      await keepProposedManifest(db, dave.userId, { hash, files, platform: 'cloudflare' }, new Date(start + i * 100));
      const [stored] = await db.select({ object: manifests.object }).from(manifests).where(eq(manifests.hash, hash));
      objects.push(stored!.object!);
    }
    const store = getObjectStore();
    const kept = await Promise.all(objects.map(async (key) => (await store.size(key)) !== null));
    // The three oldest proposals were dropped, their manifests with them (rows and objects).
    expect(kept.slice(0, 3)).toEqual([false, false, false]);
    expect(kept.slice(3).every(Boolean)).toBe(true);
  });

  it('a manifest of more than 5,000 files is refused by its count, in words, with the action to fix the files', async () => {
    const manifest = Object.fromEntries(Array.from({ length: 5001 }, (_, i) => [`f${i}.html`, { sha256: 'x', size: -1 }]));
    try {
      await alice.trpc.files.negotiate.mutate({ platform: 'cloudflare', manifest });
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(TRPCClientError);
      expect((err as TRPCClientError<never>).message).toMatch(/^Files exceed size limit: the site has 5,001 files; a deployment may have at most 5,000/);
      expect((err as TRPCClientError<never>).data).toMatchObject({ code: 'BAD_REQUEST', action: 'fix-files' });
    }
  });

  it('a malformed id is refused by the input check', async () => {
    const refusal = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...target(), manifestId: 'not-an-id' }));
    expect(refusal.code).toBe('BAD_REQUEST');
  });
});

describe('a proposal read by another server process (its row, not this process’s memory)', () => {
  const row = async (userId: string, values: Partial<typeof proposedManifests.$inferInsert> & { manifestHash: string }) => {
    const [r] = await (
      await getDb()
    )
      .insert(proposedManifests)
      .values({ userId, platform: 'cloudflare', createdAt: new Date(), expiresAt: new Date(Date.now() + 60_000), ...values })
      .returning({ id: proposedManifests.id });
    return r!.id;
  };
  const random = (n: number): ProposedManifest =>
    Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `p${i}-${Math.random().toString(36).slice(2)}.html`,
        { sha256: crypto.randomUUID().replace(/-/g, '').repeat(2), size: i },
      ]),
    );

  it('a whole manifest comes back from the stored manifest it names, and only when its files hash to its name', async () => {
    const db = await getDb();
    const files = random(5);
    const hash = await manifestHash(files);
    await db.insert(manifests).values({ hash, files: encodeManifest(files) });
    const id = await row(alice.userId, { manifestHash: hash });
    expect(await proposedManifest(db, alice.userId, id)).toEqual({ hash, files: asValidated(files), platform: 'cloudflare', recheck: null, base: null });
    const forgedHash = await manifestHash(random(2));
    await db.insert(manifests).values({ hash: forgedHash, files: encodeManifest(random(3)) });
    const forged = await row(alice.userId, { manifestHash: forgedHash });
    await expect(proposedManifest(db, alice.userId, forged)).rejects.toThrow(/does not hash to its name/);
    const gone = await row(alice.userId, { manifestHash: await manifestHash(random(2)) });
    await expect(proposedManifest(db, alice.userId, gone)).rejects.toThrow(/No stored manifest has the hash/);
  });

  it('a delta comes back from its base (read from its row) and its changes, and only when they hash to its name', async () => {
    const db = await getDb();
    // A base this process never computed nor read: written to the table directly.
    const base = random(3);
    const baseHash = await manifestHash(base);
    await db.insert(manifests).values({ hash: baseHash, files: encodeManifest(base) });
    const [removed, ...kept] = Object.keys(base);
    const changes = { changed: { 'c.css': { sha256: 'c'.repeat(64), size: 3 } }, removed: [removed!] };
    const whole: ProposedManifest = { ...Object.fromEntries(kept.map((p) => [p, base[p]!])), 'c.css': changes.changed['c.css'] };
    const wholeHash = await manifestHash(whole);
    const id = await row(alice.userId, { manifestHash: wholeHash, baseHash, changes, recheck: ['c'.repeat(64)] });
    expect(await proposedManifest(db, alice.userId, id)).toEqual({
      hash: wholeHash,
      files: asValidated(whole),
      platform: 'cloudflare',
      recheck: ['c'.repeat(64)],
      base: baseHash,
    });
    // Changes that do not make the files named (under a hash this process has not seen).
    const forged = await row(alice.userId, { manifestHash: await manifestHash(random(2)), baseHash, changes });
    await expect(proposedManifest(db, alice.userId, forged)).rejects.toThrow(/does not hash to its name/);
  });
});

/** A client that holds its files' bytes: a small redeploy goes in one request (deployments.create with its changes). */
const client = (caller: AppCaller) => {
  const last = new Map<string, DeployedManifest>();
  return {
    last,
    deploy: (files: HashedFile[], chatId: string, calls: DeployCalls = deployCalls(caller, files)) =>
      deployManifest(manifestOf(files), target(chatId), calls, { last, bytesOf: (sha256) => files.find((f) => f.sha256 === sha256)?.bytes }),
  };
};

describe('deltas', () => {
  /** A client of its own: what it deployed last, per project. */
  it.each([
    ['in one request (create with the changed bytes)', true],
    ['negotiated (a client without the create of changes)', false],
  ])(
    'a one-file redeploy of a 5,000-file site sends under 20 KB in all: %s',
    async (_, inOneRequest) => {
      const files = [hashed('index.html', '<h1>big</h1>'), ...Array.from({ length: 4999 }, (_, i) => hashed(`pages/p${i}.txt`, `page ${i}`))];
      const alicesClient = client(alice);
      const chatId = chat();
      resetSent(alice);
      const first = await alicesClient.deploy(files, chatId);
      expect(first.delta).toBe(false);
      const fullNegotiate = alice.sent['files.negotiate']!;
      expect(fullNegotiate).toBeGreaterThan(500_000);
      expect(alice.sent['deployments.create']!).toBeLessThan(500);

      // Bytes of their own per case: the server holds neither before.
      const text = (inOneRequest ? 'x' : 'y').repeat(4096);
      const changed = hashed('pages/p42.txt', text);
      const next = files.map((f) => (f.path === changed.path ? changed : f));
      resetSent(alice);
      const calls = deployCalls(alice, next);
      const second = await alicesClient.deploy(next, chatId, inOneRequest ? calls : { ...calls, createFromChanges: undefined });
      expect(second.delta).toBe(true);
      expect(second.missing).toEqual([changed.sha256]);
      const sent = { ...alice.sent };
      expect(totalSent(alice), JSON.stringify(sent)).toBeLessThan(20_000);
      if (inOneRequest) {
        expect(Object.keys(sent)).toEqual(['deployments.create']);
        expect(sent['deployments.create']!).toBeGreaterThan(4096);
      } else {
        expect(sent['files.negotiate']!).toBeLessThan(1024);
        expect(sent.blobs!).toBeGreaterThanOrEqual(4096);
      }
      console.log(`one-file redeploy of 5,000 files: ${JSON.stringify(sent)} = ${totalSent(alice)} bytes (the full negotiate was ${fullNegotiate} bytes)`);
      // The changed file's bytes are stored as sent, under the hash the server computed.
      const store = new BlobStore(await getDb());
      expect(await store.heldSizes(alice.userId, [changed.sha256])).toEqual(new Map([[changed.sha256, 4096]]));
      const reader = store.reader(alice.userId, [changed.sha256]);
      expect(await reader.text(changed.sha256)).toBe(text);
      await reader.close();

      const rows = await rowsOf(second.deploymentId);
      expect(rows).toHaveLength(5000);
      expect(rows.find((r) => r.path === changed.path)).toMatchObject({ sha256: changed.sha256, size: 4096 });
      // Stored as a delta of the first deployment's manifest: the changed line, not 5,000 of them.
      const db = await getDb();
      const [firstRow, secondRow] = await Promise.all(
        [first.deploymentId, second.deploymentId].map(async (id) => (await db.select().from(deployments).where(eq(deployments.id, id)))[0]!),
      );
      const stored = await readRow(db, secondRow!.manifestHash!);
      expect(stored).toEqual({ baseHash: firstRow!.manifestHash, removed: null, files: `${changed.sha256}\t4096\tpages/p42.txt\n` });
    },
    120_000,
  );

  it('a whole manifest sent again for a deployed site (a client that forgot its last deployment) is stored as a delta of that one', async () => {
    const db = await getDb();
    const chatId = chat();
    const pages = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`p${i}.html`, `<p>${i} ${Math.random()}</p>`]));
    const v1 = site({ 'index.html': '<p>v1</p>', ...pages });
    const first = await deployManifest(manifestOf(v1), target(chatId), deployCalls(alice, v1));
    const v2 = site({ 'index.html': `<p>v2 ${Math.random()}</p>`, ...pages });
    // No `last`: the client sends the whole manifest; the server finds the site's last deployment.
    const second = await deployManifest(manifestOf(v2), target(chatId), deployCalls(alice, v2));
    expect([first.delta, second.delta]).toEqual([false, false]);
    const hashOf = async (id: string) => (await db.select().from(deployments).where(eq(deployments.id, id)))[0]!.manifestHash!;
    const stored = await readRow(db, await hashOf(second.deploymentId));
    expect(stored).toMatchObject({ baseHash: await hashOf(first.deploymentId), removed: null });
    expect(decodeManifest(stored!.files)).toEqual({ 'index.html': manifestOf(v2)['index.html'] });
    expect((await rowsOf(second.deploymentId)).map((r) => [r.path, r.sha256])).toEqual(
      [...v2].sort((x, y) => (x.path < y.path ? -1 : 1)).map((f) => [f.path, f.sha256]),
    );

    // Another user's site of the same project (the chat id is the client's word) is never a base.
    const baseRow = async () =>
      (
        await db
          .select()
          .from(manifests)
          .where(eq(manifests.hash, await hashOf(first.deploymentId)))
      )[0]!;
    await db
      .update(manifests)
      .set({ createdAt: new Date(Date.now() - 3 * 60 * 60 * 1000) })
      .where(eq(manifests.hash, await hashOf(first.deploymentId)));
    const markedBefore = (await baseRow()).createdAt.getTime();
    const bobs = site({ 'index.html': `<p>bob ${Math.random()}</p>`, ...pages });
    const bobDeploy = await deployManifest(manifestOf(bobs), target(chatId), deployCalls(bob, bobs));
    expect(
      (
        await db
          .select()
          .from(manifests)
          .where(eq(manifests.hash, await hashOf(bobDeploy.deploymentId)))
      )[0]!.baseHash,
    ).toBeNull();
    expect((await baseRow()).createdAt.getTime()).toBe(markedBefore);

    // Negotiated and never deployed, such a delta goes with its proposal; the base stays.
    const v3 = site({ 'index.html': `<p>v3 ${Math.random()}</p>`, ...pages });
    await uploadBlobs(alice, v3);
    const v3Hash = await manifestHash(manifestOf(v3));
    await alice.trpc.files.negotiate.mutate({ ...target(chatId), manifest: manifestOf(v3) });
    // Stored at negotiate, as a delta of the whole manifest the site's last deployment is a delta of.
    expect((await db.select().from(manifests).where(eq(manifests.hash, v3Hash)))[0]!.baseHash).toBe(await hashOf(first.deploymentId));
    await deleteExpiredProposedManifests(db, new Date(Date.now() + PROPOSED_MANIFEST_TTL_MS + 60_000));
    expect(await db.select().from(manifests).where(eq(manifests.hash, v3Hash))).toEqual([]);
    expect((await baseRow()).hash).toBe(await hashOf(first.deploymentId));
  });

  it('a redeploy through the REST files body is stored as a delta of the site’s last deployment', async () => {
    const db = await getDb();
    const chatId = chat();
    const pages = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`p${i}.html`, `<p>${i} ${Math.random()}</p>`]));
    const deployOnce = async (index: string) => {
      const res = await restDeploy(alice, 'cloudflare', {
        authMode: 'platform-managed',
        projectName: 'rest',
        chatId,
        files: { 'index.html': index, ...pages },
      });
      expect(res.status).toBe(202);
      const { deploymentId } = (await res.json()) as { deploymentId: string };
      return (await db.select().from(deployments).where(eq(deployments.id, deploymentId)))[0]!.manifestHash!;
    };
    const firstHash = await deployOnce('<p>one</p>');
    const secondHash = await deployOnce(`<p>two ${Math.random()}</p>`);
    const stored = await readRow(db, secondHash);
    expect(stored!.baseHash).toBe(firstHash);
    expect(Object.keys(decodeManifest(stored!.files))).toEqual(['index.html']);
    // Base and delta read back as the files sent, under their name.
    expect(Object.keys(await readStoredManifest(db, secondHash)).sort()).toEqual(['index.html', ...Object.keys(pages)].sort());
  });

  it('removed paths disappear, added and changed ones arrive; the base may be named by id or by hash', async () => {
    const alicesClient = client(alice);
    const chatId = chat();
    const v1 = site({ 'index.html': '<p>v1</p>', 'a.css': 'a{}', 'gone.js': 'gone()' });
    await alicesClient.deploy(v1, chatId);
    const v2 = site({ 'index.html': '<p>v2</p>', 'a.css': 'a{}', 'new/b.css': 'b{}' });
    const second = await alicesClient.deploy(v2, chatId);
    expect(second.delta).toBe(true);
    expect((await rowsOf(second.deploymentId)).map((r) => [r.path, r.sha256])).toEqual(
      [...v2].sort((x, y) => (x.path < y.path ? -1 : 1)).map((f) => [f.path, f.sha256]),
    );
    // By deployment id, with the change sent from the client's own bookkeeping.
    const v3 = { ...manifestOf(v2) };
    delete v3['new/b.css'];
    const { manifestId } = await alice.trpc.files.negotiate.mutate({
      platform: 'cloudflare',
      base: second.deploymentId,
      changes: { changed: {}, removed: ['new/b.css'] },
      manifestHash: await manifestHash(v3),
    });
    const third = await alice.trpc.deployments.create.mutate({ ...target(chatId), manifestId });
    expect((await rowsOf(third.deploymentId)).map((r) => r.path)).toEqual(['a.css', 'index.html']);
  });

  it('a delta that does not hash to its manifestHash is refused (the client then sends the whole manifest)', async () => {
    const alicesClient = client(alice);
    const chatId = chat();
    const v1 = site({ 'index.html': '<p>base</p>', 'x.css': 'x{}' });
    const { deploymentId } = await alicesClient.deploy(v1, chatId);
    const [row] = await (await getDb()).select({ manifestHash: deployments.manifestHash }).from(deployments).where(eq(deployments.id, deploymentId));
    const baseHash = row!.manifestHash!;
    const page = hashed('index.html', '<p>changed</p>');
    const refusal = await refusedWith(alice, () =>
      alice.trpc.files.negotiate.mutate({
        platform: 'cloudflare',
        base: baseHash,
        changes: { changed: { 'index.html': { sha256: page.sha256, size: page.bytes.length } }, removed: [] },
        manifestHash: baseHash, // the hash of the base, not of the result
      }),
    );
    expect(refusal.code).toBe('CONFLICT');
    expect(refusal.message).toMatch(
      /^The base's files with these changes \(2 files\) hash to [0-9a-f]{64}, not to the manifestHash sent \([0-9a-f]{64}\)\. Negotiate with the whole manifest instead\.$/,
    );
    const unknownBase = await refusedWith(alice, () =>
      alice.trpc.files.negotiate.mutate({ platform: 'cloudflare', base: 'f'.repeat(64), changes: { changed: {}, removed: [] }, manifestHash: baseHash }),
    );
    expect(unknownBase).toEqual({
      code: 'CONFLICT',
      message: `The base "${'f'.repeat(64)}" is none of your deployments. Negotiate with the whole manifest instead.`,
    });

    // A client whose memory is wrong falls back to the whole manifest and still deploys what it means.
    alicesClient.last.set(chatId, { hash: 'e'.repeat(64), manifest: manifestOf(v1) });
    resetSent(alice);
    const v2 = site({ 'index.html': '<p>changed</p>', 'x.css': 'x{}' });
    const fallback = await alicesClient.deploy(v2, chatId);
    expect(fallback.delta).toBe(false);
    expect((await rowsOf(fallback.deploymentId)).map((r) => r.sha256)).toEqual([v2[0]!.sha256, v2[1]!.sha256]);
  });

  it("a changed file's size is checked against the bytes stored, and only changed files can be missing", async () => {
    const alicesClient = client(alice);
    const chatId = chat();
    const v1 = site({ 'index.html': `<p>sizes ${Math.random()}</p>`, 'a.css': 'a{}' });
    const first = await alicesClient.deploy(v1, chatId);
    const extra = hashed('b.css', `b{} /* ${Math.random()} */`);
    await uploadBlobs(alice, [extra]);
    const base = { platform: 'cloudflare' as const, base: first.deploymentId };
    const lying = { ...manifestOf(v1), 'b.css': { sha256: extra.sha256, size: extra.bytes.length + 1 } };
    const refusal = await refusedWith(alice, async () =>
      alice.trpc.files.negotiate.mutate({ ...base, changes: { changed: { 'b.css': lying['b.css'] }, removed: [] }, manifestHash: await manifestHash(lying) }),
    );
    expect(refusal.message).toBe(
      `The size given for "b.css" (${extra.bytes.length + 1} bytes) is not the size of its uploaded file (${extra.bytes.length} bytes). Send each file's real size.`,
    );
    const unheld = hashed('c.css', `c{} /* ${Math.random()} */`);
    const next = { ...manifestOf(v1), 'c.css': { sha256: unheld.sha256, size: unheld.bytes.length } };
    const answer = await alice.trpc.files.negotiate.mutate({
      ...base,
      changes: { changed: { 'c.css': next['c.css'] }, removed: [] },
      manifestHash: await manifestHash(next),
    });
    expect(answer.missing).toEqual([unheld.sha256]);
  });

  it('a delta is held to the rules of the platform it is negotiated for, and of a site, over the base’s files too', async () => {
    const alicesClient = client(alice);
    const v1 = site({ 'index.html': '<p>rules</p>', 'a#b.css': 'a{}' });
    const { deploymentId } = await alicesClient.deploy(v1, chat());
    const delta = async (platform: 'cloudflare' | 'netlify', changes: ManifestChanges, files: Record<string, { sha256: string; size: number }>) =>
      refusedWith(alice, async () => alice.trpc.files.negotiate.mutate({ platform, base: deploymentId, changes, manifestHash: await manifestHash(files) }));
    const page = hashed('index.html', '<p>rules, again</p>');
    const changed = { 'index.html': { sha256: page.sha256, size: page.bytes.length } };
    // Netlify refuses a name the base has (deployed to Cloudflare, which takes it), though the delta does not change it.
    expect(await delta('netlify', { changed, removed: [] }, { ...manifestOf(v1), ...changed })).toEqual({
      code: 'BAD_REQUEST',
      message: 'Netlify cannot deploy "a#b.css": file names may not contain # or ?. Rename the file.',
    });
    // A site without its index.html, and a changed path that cannot be one.
    const { 'index.html': _index, ...withoutIndex } = manifestOf(v1);
    expect(await delta('cloudflare', { changed: {}, removed: ['index.html'] }, withoutIndex)).toEqual({
      code: 'BAD_REQUEST',
      message: 'There is no index.html at the root of your site. Add one: it is the page visitors see first.',
    });
    expect((await delta('cloudflare', { changed: { '../up.css': changed['index.html'] }, removed: [] }, manifestOf(v1))).message).toMatch(
      /^The file path "\.\.\/up\.css" /,
    );
  });

  it('a delta on a manifest stored before a path rule existed is held to today’s rules for the base’s paths too: a conflict', async () => {
    const db = await getDb();
    const alicesClient = client(alice);
    const v1 = site({ 'index.html': `<p>old rules ${Math.random()}</p>` });
    const { deploymentId } = await alicesClient.deploy(v1, chat());
    // As an older server could have stored it: a name with a zero-width space, refused today.
    const old: ProposedManifest = { ...manifestOf(v1), 'a\u200b.css': { sha256: v1[0]!.sha256, size: v1[0]!.bytes.length } };
    const oldHash = await manifestHash(old);
    await db.insert(manifests).values({ hash: oldHash, files: encodeManifest(old) });
    await db.update(deployments).set({ manifestHash: oldHash }).where(eq(deployments.id, deploymentId));
    const page = hashed('index.html', '<p>new page</p>');
    const changed = { 'index.html': { sha256: page.sha256, size: page.bytes.length } };
    const refusal = await refusedWith(alice, async () =>
      alice.trpc.files.negotiate.mutate({
        platform: 'cloudflare',
        base: deploymentId,
        changes: { changed, removed: [] },
        manifestHash: await manifestHash({ ...old, ...changed }),
      }),
    );
    // A conflict: the client then sends its whole manifest, where such a path is refused with its reason (or absent).
    expect(refusal.code).toBe('CONFLICT');
    expect(refusal.message).toMatch(
      /^The base holds "a.*\.css", which contains an invisible or text-direction character.*Negotiate with the whole manifest instead\.$/,
    );
  });

  it('a quick redeploy of a site that passed the scan here scans only the files it changes; a hit among them still refuses it', async () => {
    const db = await getDb();
    const alicesClient = client(alice);
    const chatId = chat();
    const v1 = site({ 'index.html': `<p>scanned ${Math.random()}</p>`, 'app.js': `console.log(${Math.random()})` });
    await alicesClient.deploy(v1, chatId);
    // Whether Alice's file passed the scan under the mark its path is read with (pack_scans, bit per entry).
    const store = new BlobStore(db);
    const passed = async (path: string, sha256: string) => !(await store.notPassedScan(alice.userId, [sha256], scanMarkOf(path))).has(sha256);
    const [page, script] = v1;
    expect(await passed('app.js', script!.sha256)).toBe(true);
    // Its pass forgotten by the catalog (its bit cleared): a scan of the whole site would read it again and remember it.
    const at = (await store.locate(alice.userId, [script!.sha256])).get(script!.sha256)!;
    await db.execute(sql`update pack_scans set passed = set_bit(passed, ${at.index}, 0) where pack = ${at.pack}`);
    expect(await passed('app.js', script!.sha256)).toBe(false);
    const v2 = site({ 'index.html': `<p>scanned again ${Math.random()}</p>`, 'app.js': script!.bytes.toString() });
    const second = await alicesClient.deploy(v2, chatId);
    expect(second.delta).toBe(true);
    expect(await passed('index.html', v2[0]!.sha256)).toBe(true);
    expect(await passed('app.js', script!.sha256)).toBe(false);
    expect(page!.sha256).not.toBe(v2[0]!.sha256);
    // What it changes is scanned: a miner in the new page refuses the redeploy.
    const v3 = site({ 'index.html': '<script src="https://coinhive.com/lib/coinhive.min.js"></script>', 'app.js': script!.bytes.toString() });
    const refusal = await refusedWith(alice, () => alicesClient.deploy(v3, chatId));
    expect(refusal.message).toMatch(/^This site can't be deployed: index\.html contains /);
  });

  it('a path added with a hash the user does not hold is refused at create, as before', async () => {
    const alicesClient = client(alice);
    const chatId = chat();
    const v1 = site({ 'index.html': '<p>held</p>' });
    await alicesClient.deploy(v1, chatId);
    // Bob's file: Alice knows its hash but never uploaded it.
    const bobs = hashed('secret.pdf', `bob only ${Math.random()}`);
    await uploadBlobs(bob, [bobs]);
    const v2 = [...v1, bobs];
    // Through negotiate: a create of changes would carry the file's bytes.
    const skipUpload: DeployCalls = { ...deployCalls(alice, v2), upload: async () => {}, createFromChanges: undefined };
    const refusal = await refusedWith(alice, () => alicesClient.deploy(v2, chatId, skipUpload));
    expect(refusal).toEqual({
      code: 'BAD_REQUEST',
      message: '1 file(s) of this deployment were not uploaded yet (first: "secret.pdf"). Upload the files the server asked for, then deploy again.',
    });
  });
});

describe('a redeploy in one request: deployments.create with the changes and their bytes', () => {
  /** A first deployment of a small site (negotiated, uploaded, created by id). */
  async function deployed(caller = alice) {
    const chatId = chat();
    const v1 = site({ 'index.html': `<p>one ${Math.random()}</p>`, 'a.css': 'a{}' });
    const { missing, manifestId } = await caller.trpc.files.negotiate.mutate({ ...target(chatId), manifest: manifestOf(v1) });
    await uploadBlobs(
      caller,
      v1.filter((f) => missing.includes(f.sha256)),
    );
    const { deploymentId } = await caller.trpc.deployments.create.mutate({ ...target(chatId), manifestId });
    return { chatId, v1, deploymentId };
  }
  const b64 = (f: HashedFile | Uint8Array) => Buffer.from('bytes' in f ? f.bytes : f).toString('base64');
  /** The request that changes (or adds) `page` in the site, its bytes inline. */
  async function changing(base: Awaited<ReturnType<typeof deployed>>, ...pages: HashedFile[]) {
    const changed = manifestOf(pages);
    return {
      ...target(base.chatId),
      base: base.deploymentId,
      changes: { changed, removed: [] },
      manifestHash: await manifestHash({ ...manifestOf(base.v1), ...changed }),
      files: Object.fromEntries(pages.map((p) => [p.sha256, b64(p)])),
    };
  }
  const held = async (sha256: string, caller = alice) => (await new BlobStore(await getDb()).heldSizes(caller.userId, [sha256])).has(sha256);
  const page = (text = `<p>two ${Math.random()}</p>`) => hashed('index.html', text);

  it('deploys the base with the changes; the bytes are stored under the hash the server computed', async () => {
    const base = await deployed();
    const next = page();
    const style = hashed('new/b.css', `b{} /* ${Math.random()} */`);
    resetSent(alice);
    const { deploymentId } = await alice.trpc.deployments.create.mutate(await changing(base, next, style));
    expect(Object.keys(alice.sent)).toEqual(['deployments.create']);
    expect((await rowsOf(deploymentId)).map((r) => [r.path, r.sha256, r.size])).toEqual([
      ['a.css', base.v1[1]!.sha256, 3],
      ['index.html', next.sha256, next.bytes.length],
      ['new/b.css', style.sha256, style.bytes.length],
    ]);
    const reader = new BlobStore(await getDb()).reader(alice.userId, [next.sha256, style.sha256]);
    expect([await reader.text(next.sha256), await reader.text(style.sha256)]).toEqual([next.bytes.toString(), style.bytes.toString()]);
    await reader.close();
  });

  it('refuses bytes that are not what they are named, bytes no changed file names, and bad base64, storing nothing', async () => {
    const base = await deployed();
    const next = page();
    const other = hashed('other.css', `o{} /* ${Math.random()} */`);
    const request = await changing(base, next);
    const wrong = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...request, files: { [next.sha256]: b64(other) } }));
    expect(wrong).toEqual({
      code: 'BAD_REQUEST',
      message: `The bytes sent as ${next.sha256} hash to ${other.sha256}. Send each file's bytes under its own SHA-256.`,
    });
    const extra = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...request, files: { ...request.files, [other.sha256]: b64(other) } }));
    expect(extra).toEqual({ code: 'BAD_REQUEST', message: `The bytes sent as ${other.sha256} belong to no changed file. Send only the changed files' bytes.` });
    const garbled = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...request, files: { [next.sha256]: '@@not base64@@' } }));
    expect(garbled).toEqual({ code: 'BAD_REQUEST', message: `The file sent as ${next.sha256} is not valid base64.` });
    expect([await held(next.sha256), await held(other.sha256)]).toEqual([false, false]);
  });

  it('a changed file sent without its bytes must be held already, and every declared size is the size of the bytes', async () => {
    const base = await deployed();
    const next = page();
    const request = await changing(base, next);
    const unsent = await refusedWith(alice, () => alice.trpc.deployments.create.mutate({ ...request, files: {} }));
    expect(unsent.message).toBe(
      '1 file(s) of this deployment were not uploaded yet (first: "index.html"). Upload the files the server asked for, then deploy again.',
    );
    const lie = { ...manifestOf([next]), 'index.html': { sha256: next.sha256, size: next.bytes.length + 1 } };
    const lying = await refusedWith(alice, async () =>
      alice.trpc.deployments.create.mutate({
        ...request,
        changes: { changed: lie, removed: [] },
        manifestHash: await manifestHash({ ...manifestOf(base.v1), ...lie }),
      }),
    );
    expect(lying.message).toBe(
      `The size given for "index.html" (${next.bytes.length + 1} bytes) is not the size of its uploaded file (${next.bytes.length} bytes). Send each file's real size.`,
    );
    expect(await held(next.sha256)).toBe(false);
    // Held already (uploaded before), it needs no bytes.
    await uploadBlobs(alice, [next]);
    const { deploymentId } = await alice.trpc.deployments.create.mutate({ ...request, files: {} });
    expect((await rowsOf(deploymentId)).find((r) => r.path === 'index.html')!.sha256).toBe(next.sha256);
  });

  it('a scan that refuses the change stores none of its bytes', async () => {
    const base = await deployed();
    const miner = page('<script src="https://coinhive.com/lib/coinhive.min.js"></script>');
    const refusal = await refusedWith(alice, async () => alice.trpc.deployments.create.mutate(await changing(base, miner)));
    expect(refusal.message).toMatch(/^This site can't be deployed: index\.html contains /);
    expect(await held(miner.sha256)).toBe(false);
  });

  it('a base stored under older path rules takes no changes: CONFLICT, and the client deploys the whole site', async () => {
    const base = await deployed();
    // As an older release could have stored it: a path today's rules refuse (a control character).
    const old = 'old\u0007page.html';
    const db = await getDb();
    const stored = { ...manifestOf(base.v1), [old]: manifestOf(base.v1)['a.css']! };
    const hash = await storeManifest(db, stored);
    await db.update(deployments).set({ manifestHash: hash }).where(eq(deployments.id, base.deploymentId));
    const next = page();
    // Removing the old path, or changing another file: either way, not on this base.
    const removing = await refusedWith(alice, async () =>
      alice.trpc.deployments.create.mutate({ ...(await changing(base, next)), changes: { changed: manifestOf([next]), removed: [old] } }),
    );
    expect(removing).toEqual({
      code: 'CONFLICT',
      message: 'The removed path "old\\u0007page.html" contains a control character: no base holds it. Negotiate with the whole manifest instead.',
    });
    const changingOnly = await refusedWith(alice, async () => alice.trpc.deployments.create.mutate(await changing(base, next)));
    expect(changingOnly).toEqual({
      code: 'CONFLICT',
      message: 'The base holds "old\\u0007page.html", which contains a control character. Negotiate with the whole manifest instead.',
    });
    expect(await held(next.sha256)).toBe(false);
    // The client, told so, sends the whole manifest.
    const last = new Map<string, DeployedManifest>([[base.chatId, { hash, manifest: stored }]]);
    const result = await deployManifest({ ...manifestOf(base.v1), ...manifestOf([next]) }, target(base.chatId), deployCalls(alice, [...base.v1, next]), {
      last,
      bytesOf: (sha256) => (sha256 === next.sha256 ? next.bytes : undefined),
    });
    expect(result.delta).toBe(false);
    expect((await rowsOf(result.deploymentId)).map((r) => [r.path, r.sha256])).toEqual([
      ['a.css', manifestOf(base.v1)['a.css']!.sha256],
      ['index.html', next.sha256],
    ]);
  });

  it("another user's deployment is no base: CONFLICT, and nothing is stored", async () => {
    const base = await deployed(alice);
    const next = page();
    const refusal = await refusedWith(bob, async () => bob.trpc.deployments.create.mutate(await changing(base, next)));
    expect(refusal).toEqual({
      code: 'CONFLICT',
      message: `The base "${base.deploymentId}" is none of your deployments. Negotiate with the whole manifest instead.`,
    });
    expect([await held(next.sha256, bob), await held(next.sha256, alice)]).toEqual([false, false]);
  });

  it('more than the inline limits is refused with what to do; the client negotiates and uploads such a redeploy', async () => {
    const base = await deployed();
    // Two files of 600 KB: each within a request's field, together over the 1 MB.
    const big = [hashed('big1.bin', randomBytes(600 * 1024)), hashed('big2.bin', randomBytes(600 * 1024))];
    const tooMuch = await refusedWith(alice, async () => alice.trpc.deployments.create.mutate(await changing(base, ...big)));
    expect(tooMuch).toEqual({
      code: 'BAD_REQUEST',
      message: 'The changed files sent inline are 1.2 MB; at most 1.0 MB go in one request. Negotiate and upload them instead.',
    });
    // Past the limit by its length alone, a body is refused before anything in it is decoded (this one is no base64 at all).
    const garbage = '!'.repeat(800_000);
    const unread = await refusedWith(alice, async () =>
      alice.trpc.deployments.create.mutate({ ...(await changing(base, ...big)), files: { [big[0]!.sha256]: garbage, [big[1]!.sha256]: garbage } }),
    );
    expect(unread.message).toBe('The changed files sent inline are 1.1 MB; at most 1.0 MB go in one request. Negotiate and upload them instead.');
    const many = Array.from({ length: INLINE_CHANGES_LIMITS.maxFiles + 1 }, (_, i) => hashed(`many/${i}.txt`, `${i} ${Math.random()}`));
    const tooMany = await refusedWith(alice, async () => alice.trpc.deployments.create.mutate(await changing(base, ...many)));
    expect(tooMany.message).toContain(`At most ${INLINE_CHANGES_LIMITS.maxFiles} files go inline: negotiate and upload them instead.`);
    expect(await held(big[0]!.sha256)).toBe(false);

    // The client knows the limits: it negotiates, uploads, and creates by id.
    const alicesClient = client(alice);
    await alicesClient.deploy(base.v1, base.chatId);
    resetSent(alice);
    const redeployed = await alicesClient.deploy([...base.v1, ...big], base.chatId);
    expect(redeployed.delta).toBe(true);
    expect(Object.keys(alice.sent).sort()).toEqual(['blobs', 'deployments.create', 'files.negotiate']);
    expect(alice.sent['deployments.create']!).toBeLessThan(500);
    expect((await rowsOf(redeployed.deploymentId)).map((r) => r.path)).toEqual(['a.css', 'big1.bin', 'big2.bin', 'index.html']);
  });
});
