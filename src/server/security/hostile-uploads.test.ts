// Hostile uploads, as an attacker sends them: lied sizes, oversized and broken chunked uploads,
// storage and rate exhaustion, spoofing file names, connection floods, and failures of the shared
// accounts. Each case goes through the real route handlers (REST and the browser's tRPC + blob
// path), a real database and the local cloud, and proves the refusal is clear, stores nothing and
// sends nothing to a platform. Its own database: the shared quota counts every live site.
import '@/testing/isolated-db';
import { useLocalCloud } from '@/testing/local-cloud';
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { TRPCClientError } from '@trpc/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PUT as putBlob } from '@/app/api/blobs/[sha256]/route';
import { GET as deployStatus } from '@/app/api/deploy-status/route';
import { GET as deploymentEvents } from '@/app/api/deployments/[id]/events/route';
import { POST as trpcPost } from '@/app/api/trpc/[trpc]/route';
import { blobChunks, deployments, deploymentEvents as eventsTable, packs, sites } from '@/server/db/schema';
import { sha256Hex } from '@/server/deploy/blob-keys';
import { BlobStore } from '@/server/deploy/blob-store';
import { runCleanup } from '@/server/deploy/cleanup';
import { byteaBuffer } from '@/server/db/schema/columns';
import { decodeEntries } from '@/server/deploy/pack-index';
import { getObjectStore } from '@/server/storage/from-env';
import type { ObjectStore } from '@/server/storage/object-store';
import { DEFAULT_LIMITS } from '@/server/deploy/policy';
import { browserDeploy, deploymentCount, hashed, newAppCaller, restDeploy, uploadBlobs, type AppCaller } from '@/testing/app-client';
import { setFaults, totalPlatformRequests } from '@/testing/cloud';
import { useTestDb } from '@/testing/db';
import { useDeploySettings } from '@/testing/deploy-settings';
import { APP_ORIGIN } from '@/testing/http';
import { readSse } from '@/testing/sse';

// This file's users may hold 12 MB and 2,000 files each (read once, when the configuration is first parsed).
const QUOTA = 12 * 1024 * 1024;
process.env.STORAGE_QUOTA_BYTES = String(QUOTA);
process.env.STORAGE_MAX_FILES = '2000';

const cloud = useLocalCloud();
const getDb = useTestDb();
// Short retries for the runners the routes start; rate limits lifted unless a test lowers them.
const fileSettings = useDeploySettings({
  retries: { baseDelayMs: 5, maxDelayMs: 20, attempts: 2 },
  runner: { retryDelayMs: 5, maxAttempts: 2 },
  limits: { platformManagedPerHour: 1000, platformManagedPerDay: 1000 },
});

let mallory: AppCaller;
beforeAll(async () => {
  mallory = await newAppCaller(await getDb(), 'mallory');
});
afterEach(async () => {
  await setFaults(cloud().url, { rules: [] });
});

const chat = () => `chat-${Math.random().toString(36).slice(2, 10)}`;
const MB = 1024 * 1024;

const platformRequests = () => totalPlatformRequests(cloud().url);
const deploymentsOf = async (userId: string) => deploymentCount(await getDb(), userId);
/** The files the pack rows of a user (of anyone, without one) list. */
async function heldFiles(userId?: string): Promise<string[]> {
  const rows = await (
    await getDb()
  )
    .select({ entries: packs.entries })
    .from(packs)
    .where(userId ? eq(packs.userId, userId) : undefined);
  return rows.flatMap((r) => decodeEntries(byteaBuffer(r.entries)).map((e) => e.sha256));
}
/** The objects of packs in this file's store (its own, as its database). */
async function packObjects(): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of getObjectStore().list('packs/')) keys.push(key);
  return keys;
}
/** Whether anyone holds the file (any pack row lists it): this file's database is its own. */
async function stored(sha256: string): Promise<boolean> {
  return (await heldFiles()).includes(sha256);
}
async function errorOf(res: Response): Promise<{ status: number; message: string; retryAfter: string | null }> {
  const body = (await res.json()) as { error: { message: string } };
  return { status: res.status, message: body.error.message, retryAfter: res.headers.get('retry-after') };
}
async function trpcErrorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCClientError) return { code: (err.data as { code: string }).code, message: err.message };
    throw err;
  }
  throw new Error('expected the call to be refused');
}

/** Runs `attack`; proves it sent nothing to any platform and created no deployment. */
async function refusedQuietly<T>(caller: AppCaller, attack: () => Promise<T>): Promise<T> {
  const before = { requests: await platformRequests(), deployments: await deploymentsOf(caller.userId) };
  const result = await attack();
  expect(await platformRequests()).toBe(before.requests);
  expect(await deploymentsOf(caller.userId)).toBe(before.deployments);
  return result;
}

const chunkRequest = (caller: AppCaller, sha256: string, query: string, body: BodyInit) =>
  putBlob(
    new Request(`${APP_ORIGIN}/api/blobs/${sha256}?${query}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${caller.key}`, 'content-type': 'application/octet-stream' },
      body,
      // @ts-expect-error Node's fetch needs it for a streamed body
      duplex: 'half',
    }),
  );

describe('the server decides sizes', () => {
  it('REST: limits count the real bytes of the files (51 MB of text is refused whatever is claimed)', async () => {
    const files = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`part-${i}.txt`, 'x'.repeat(3 * MB)]));
    const { status, message } = await refusedQuietly(mallory, async () =>
      errorOf(
        await restDeploy(mallory, 'cloudflare', {
          authMode: 'platform-managed',
          projectName: 'Big',
          chatId: chat(),
          files: { 'index.html': '<p>hi</p>', ...files },
        }),
      ),
    );
    expect(status).toBe(400);
    expect(message).toMatch(/Files exceed size limit: the site is 51\.0 MB; a deployment may be at most 50\.0 MB/);
  });

  it('browser: files declared at 1 byte that are 3 MB each are refused at create, naming the file', async () => {
    const big = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`img/${i}.bin`, randomBytes(3 * MB)]));
    const files = { 'index.html': '<p>lies</p>', ...big };
    const list = Object.entries(files).map(([p, b]) => hashed(p, b));
    const manifest = Object.fromEntries(list.map((f) => [f.path, { sha256: f.sha256, size: f.path === 'index.html' ? f.bytes.length : 1 }]));
    // Negotiated before the upload (nothing held yet to compare with), so the lie meets create.
    const { manifestId } = await mallory.trpc.files.negotiate.mutate({ platform: 'cloudflare', manifest });
    await uploadBlobs(mallory, list);
    const refusal = await refusedQuietly(mallory, () =>
      trpcErrorOf(mallory.trpc.deployments.create.mutate({ chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', manifestId })),
    );
    expect(refusal.code).toBe('BAD_REQUEST');
    expect(refusal.message).toBe(
      'The size given for "img/0.bin" (1 bytes) is not the size of its uploaded file (3,145,728 bytes). Send each file\'s real size.',
    );
  });

  it('browser: negotiate refuses a lied size of a file the server already holds', async () => {
    const page = hashed('index.html', `<p>${Math.random()}</p>`);
    await uploadBlobs(mallory, [page]);
    const refusal = await refusedQuietly(mallory, () =>
      trpcErrorOf(
        mallory.trpc.files.negotiate.mutate({ platform: 'netlify', manifest: { 'index.html': { sha256: page.sha256, size: page.bytes.length + 5_000_000 } } }),
      ),
    );
    expect(refusal.message).toMatch(/The size given for "index.html" \(5,000,0\d\d bytes\) is not the size of its uploaded file/);
  });

  it('browser: a miner page declared as 6 MB (to look too big to scan) is refused as a lie, not skipped', async () => {
    const miner = '<script src="https://coinhive.com/lib/coinhive.min.js"></script><script>new CoinHive.Anonymous("k").start()</script>';
    const refusal = await refusedQuietly(mallory, () => trpcErrorOf(browserDeploy(mallory, 'cloudflare', { 'index.html': miner }, { declare: () => 6 * MB })));
    expect(refusal.message).toMatch(/The size given for "index.html" \(6,291,456 bytes\) is not the size of its uploaded file \(\d+ bytes\)/);
  });

  it('browser: a size declared smaller than the file on the import path (projects.addFiles) is refused', async () => {
    const project = await mallory.trpc.projects.create.mutate({ name: 'Imported' });
    const page = hashed('index.html', randomBytes(5000));
    await uploadBlobs(mallory, [page]);
    const refusal = await trpcErrorOf(
      mallory.trpc.projects.addFiles.mutate({ projectId: project.id, files: { 'index.html': { sha256: page.sha256, size: 10 } } }),
    );
    expect(refusal.message).toMatch(/The size given for "index.html" \(10 bytes\) is not the size of its uploaded file \(5000 bytes\)/);
    expect((await mallory.trpc.projects.get.query({ projectId: project.id })).files).toEqual([]);
  });

  it("browser: a project is held to a site's limits: imports past 5,000 files or 50 MB are refused, the project as it was", async () => {
    // A user of its own: its 1 MB file would count against the quota of the others' tests.
    const owner = await newAppCaller(await getDb(), 'limits');
    const project = await owner.trpc.projects.create.mutate({ name: 'Held to limits' });
    const page = hashed('page.html', randomBytes(2000));
    const big = hashed('big.bin', randomBytes(MB));
    await uploadBlobs(owner, [page, big]);
    const paths = (prefix: string, n: number, f: typeof page) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}/${i}.html`, { sha256: f.sha256, size: f.bytes.length }]));
    await owner.trpc.projects.addFiles.mutate({ projectId: project.id, files: paths('a', 3000, page) });
    // Each import is within 5,000; together they are not.
    const tooMany = await trpcErrorOf(owner.trpc.projects.addFiles.mutate({ projectId: project.id, files: paths('b', 2001, page) }));
    expect(tooMany.message).toMatch(/^Files exceed size limit: the site would have 5,001 files .*at most 5,000 files and 50(\.0)? MB/);
    // 51 copies of a 1 MB file: 51 MB, past 50 MB.
    const tooBig = await trpcErrorOf(owner.trpc.projects.addFiles.mutate({ projectId: project.id, files: paths('c', 51, big) }));
    expect(tooBig.message).toMatch(/^Files exceed size limit: the site would have 3,051 files \(5[0-9.]+ MB\)/);
    const files = (await owner.trpc.projects.get.query({ projectId: project.id })).files;
    expect(files.length).toBe(3000);
    expect(files.every((f) => f.path.startsWith('a/'))).toBe(true);
  });

  it('browser: a file nobody uploaded is refused at create, naming it', async () => {
    const { manifestId } = await mallory.trpc.files.negotiate.mutate({
      platform: 'vercel',
      manifest: { 'index.html': { sha256: sha256Hex(randomBytes(16)), size: 16 } },
    });
    const refusal = await refusedQuietly(mallory, () =>
      trpcErrorOf(mallory.trpc.deployments.create.mutate({ chatId: chat(), platform: 'vercel', authMode: 'platform-managed', manifestId })),
    );
    expect(refusal.message).toMatch(/1 file\(s\) of this deployment were not uploaded yet \(first: "index.html"\)/);
  });
});

describe('chunked uploads', () => {
  it('a declared 2 GB file is refused with 413 before a byte of its body is read or stored', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1024));
      },
    });
    const sha = sha256Hex(randomBytes(8));
    const { status, message } = await errorOf(await chunkRequest(mallory, sha, `offset=0&total=${2 * 1024 ** 3}`, body));
    expect(status).toBe(413);
    expect(message).toBe("The file is 2048.0 MB; one file may be at most 50.0 MB (a whole site's limit).");
    expect(pulled).toBeLessThanOrEqual(1); // a stream offers its first chunk when it is created; nothing more was asked for
    const rows = await (await getDb()).select().from(blobChunks).where(eq(blobChunks.userId, mallory.userId));
    expect(rows).toEqual([]);
  });

  it.each([
    ['a total that is not a number', 'offset=0&total=lots', 400, /Give the whole file's size as total/],
    ['a negative offset', 'offset=-1&total=10', 400, /does not fit its file/],
    ['a chunk past the declared total', 'offset=8&total=10', 400, /does not fit its file/],
  ])('refuses %s (400) and keeps nothing', async (_label, query, status, message) => {
    const sha = sha256Hex(randomBytes(8));
    const res = await errorOf(await chunkRequest(mallory, sha, query, new Uint8Array(4)));
    expect(res.status).toBe(status);
    expect(res.message).toMatch(message);
    expect(
      await (
        await getDb()
      )
        .select()
        .from(blobChunks)
        .where(and(eq(blobChunks.userId, mallory.userId), eq(blobChunks.sha256, sha))),
    ).toEqual([]);
  });

  it('parts sent out of order are joined by the database and verified; no part is left behind', async () => {
    const file = randomBytes(2 * MB + 123);
    const sha = sha256Hex(file);
    const total = file.length;
    const parts = [
      [MB, file.subarray(MB, 2 * MB)],
      [2 * MB, file.subarray(2 * MB)],
      [0, file.subarray(0, MB)],
    ] as const;
    const answers = [];
    for (const [offset, bytes] of parts) answers.push((await chunkRequest(mallory, sha, `offset=${offset}&total=${total}`, new Uint8Array(bytes))).status);
    expect(answers).toEqual([202, 202, 201]);
    expect((await new BlobStore(await getDb()).get(mallory.userId, sha)).equals(file)).toBe(true);
    expect(await (await getDb()).select().from(blobChunks).where(eq(blobChunks.sha256, sha))).toEqual([]);
  });

  it('overlapping parts that add up to the total but leave a gap are refused, and nothing is stored', async () => {
    const file = randomBytes(3000);
    const sha = sha256Hex(file);
    expect((await chunkRequest(mallory, sha, 'offset=0&total=3000', new Uint8Array(file.subarray(0, 1500)))).status).toBe(202);
    const res = await errorOf(await chunkRequest(mallory, sha, 'offset=1000&total=3000', new Uint8Array(file.subarray(1000, 2500))));
    expect(res.status).toBe(400);
    expect(res.message).toMatch(/overlap or leave gaps/);
    expect(await stored(sha)).toBe(false);
    expect(await (await getDb()).select().from(blobChunks).where(eq(blobChunks.sha256, sha))).toEqual([]);
  });

  it('parts whose bytes do not hash to the name are refused on the last part, and removed', async () => {
    const sha = sha256Hex(randomBytes(32));
    expect((await chunkRequest(mallory, sha, 'offset=0&total=2000', new Uint8Array(randomBytes(1000)))).status).toBe(202);
    const res = await errorOf(await chunkRequest(mallory, sha, 'offset=1000&total=2000', new Uint8Array(randomBytes(1000))));
    expect(res.status).toBe(400);
    expect(res.message).toMatch(/do not match their SHA-256/);
    expect(await stored(sha)).toBe(false);
    expect(await (await getDb()).select().from(blobChunks).where(eq(blobChunks.sha256, sha))).toEqual([]);
  });

  it('a part with another total arriving while a file is joined: the join fails with what to do, and no part is left without its row', async () => {
    const db = await getDb();
    const objects = getObjectStore();
    // The folder or S3 store, but a read of the file's first part waits until the other request is in.
    let hold: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (hold = resolve));
    let reading: (() => void) | undefined;
    const readStarted = new Promise<void>((resolve) => (reading = resolve));
    const gated: ObjectStore = Object.assign(Object.create(objects) as ObjectStore, {
      get: async (key: string, range?: { start: number; end: number }) => {
        if (key.startsWith('parts/') && key.endsWith('/0')) {
          reading!();
          await held;
        }
        return objects.get(key, range);
      },
    });
    const store = new BlobStore(db, gated);
    const file = randomBytes(3000);
    const sha = sha256Hex(file);
    expect(await store.putChunk(mallory.userId, sha, 0, 3000, file.subarray(0, 1500))).toEqual({ complete: false, received: 1500 });
    const joining = store.putChunk(mallory.userId, sha, 1500, 3000, file.subarray(1500));
    joining.catch(() => {});
    await readStarted;
    // Another request for the same file, with another total: the parts of the first are stale to it.
    expect(await new BlobStore(db).putChunk(mallory.userId, sha, 500, 4000, randomBytes(500))).toEqual({ complete: false, received: 500 });
    hold!();
    await expect(joining).rejects.toThrow('The parts of this file changed while they were being joined. Upload the file again from the start.');
    const rows = await db
      .select({ offset: blobChunks.offset })
      .from(blobChunks)
      .where(and(eq(blobChunks.userId, mallory.userId), eq(blobChunks.sha256, sha)));
    const partObjects: string[] = [];
    for await (const key of objects.list(`parts/${mallory.userId}/${sha}/`)) partObjects.push(key);
    expect({ rows: rows.map((r) => r.offset), partObjects }).toEqual({ rows: [500], partObjects: [`parts/${mallory.userId}/${sha}/500`] });
    expect(await stored(sha)).toBe(false);
  });

  it('a part naming another total starts the file over (old parts cannot be stitched into a new whole)', async () => {
    const file = randomBytes(2000);
    const sha = sha256Hex(file);
    await chunkRequest(mallory, sha, 'offset=0&total=5000', new Uint8Array(randomBytes(1000)));
    expect((await chunkRequest(mallory, sha, 'offset=1000&total=2000', new Uint8Array(file.subarray(1000)))).status).toBe(202);
    expect((await chunkRequest(mallory, sha, 'offset=0&total=2000', new Uint8Array(file.subarray(0, 1000)))).status).toBe(201);
    expect((await new BlobStore(await getDb()).get(mallory.userId, sha)).equals(file)).toBe(true);
  });

  it('parts of uploads nobody finished are collected by the cleanup after a day', async () => {
    const db = await getDb();
    const sha = sha256Hex(randomBytes(32));
    await chunkRequest(mallory, sha, 'offset=0&total=9000', new Uint8Array(randomBytes(1000)));
    const fresh = sha256Hex(randomBytes(32));
    await chunkRequest(mallory, fresh, 'offset=0&total=9000', new Uint8Array(randomBytes(1000)));
    await db
      .update(blobChunks)
      .set({ createdAt: new Date(Date.now() - 25 * 3600_000) })
      .where(eq(blobChunks.sha256, sha));
    const report = await runCleanup(db, { settings: fileSettings.settings });
    expect(report.staleChunksDeleted).toBe(1);
    expect(await db.select().from(blobChunks).where(eq(blobChunks.sha256, sha))).toEqual([]);
    expect(await db.select().from(blobChunks).where(eq(blobChunks.sha256, fresh))).toHaveLength(1);
  });
});

describe('storage quota', () => {
  let victim: AppCaller;
  beforeAll(async () => {
    victim = await newAppCaller(await getDb(), 'quota');
  });

  it('refuses (413) the upload that would pass the quota, storing none of it', async () => {
    const first = hashed('a.bin', randomBytes(10 * MB));
    await uploadBlobs(victim, [first]);
    const second = hashed('b.bin', randomBytes(3 * MB));
    await expect(uploadBlobs(victim, [second])).rejects.toThrow(/Storage full: your files take 10\.0 MB of your 12\.0 MB, and this upload needs 3\.0 MB more/);
    expect(await stored(second.sha256)).toBe(false);
  });

  it('refuses a chunked file whose declared total does not fit, before its first part is stored', async () => {
    const sha = sha256Hex(randomBytes(32));
    const res = await errorOf(await chunkRequest(victim, sha, `offset=0&total=${5 * MB}`, new Uint8Array(1000)));
    expect(res.status).toBe(413);
    expect(res.message).toMatch(/Storage full/);
    expect(await (await getDb()).select().from(blobChunks).where(eq(blobChunks.userId, victim.userId))).toEqual([]);
  });

  it('refuses an inline REST deploy that does not fit, storing none of its files', async () => {
    const text = 'y'.repeat(3 * MB);
    const res = await refusedQuietly(victim, async () =>
      errorOf(
        await restDeploy(victim, 'netlify', {
          authMode: 'platform-managed',
          projectName: 'Full',
          chatId: chat(),
          files: { 'index.html': `<p>${Math.random()}</p>`, 'big.txt': text },
        }),
      ),
    );
    expect(res.status).toBe(413);
    expect(res.message).toMatch(/Storage full/);
    expect(await stored(sha256Hex(Buffer.from(text)))).toBe(false);
  });

  it('uploads sent at once cannot together pass the quota: as many as fit are kept, the others refused and removed', async () => {
    const db = await getDb();
    const racer = await newAppCaller(db, 'quota-race');
    const objectsBefore = await packObjects();
    // Six 3 MB files in six requests at once: each passes the early check alone, four fit in 12 MB.
    const files = Array.from({ length: 6 }, (_, i) => hashed(`${i}.bin`, randomBytes(3 * MB)));
    const results = await Promise.allSettled(files.map((f) => uploadBlobs(racer, [f])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    for (const r of results.filter((r) => r.status === 'rejected')) expect(String((r as PromiseRejectedResult).reason)).toMatch(/Storage full/);
    expect(await new BlobStore(db).storageUsed(racer.userId)).toBe(12 * MB);
    expect(await heldFiles(racer.userId)).toHaveLength(4);
    // The refused ones' objects were written before the final check, and removed after it.
    expect((await packObjects()).length - objectsBefore.length).toBe(4);
  });

  it('parts of files sent at once cannot together pass the quota either', async () => {
    const db = await getDb();
    const racer = await newAppCaller(db, 'quota-race-parts');
    // Four files of 5 MB declared, a first part of 4 MB of each at once. A part counts its file's whole
    // total and the other files' parts as stored: the third finds 8 MB held and 5 MB more declared.
    const shas = Array.from({ length: 4 }, () => sha256Hex(randomBytes(32)));
    const answers = await Promise.all(
      shas.map(async (sha) => (await chunkRequest(racer, sha, `offset=0&total=${5 * MB}`, new Uint8Array(randomBytes(4 * MB)))).status),
    );
    expect(answers.sort()).toEqual([202, 202, 413, 413]);
    const parts = await db.select().from(blobChunks).where(eq(blobChunks.userId, racer.userId));
    expect(parts.map((p) => p.size)).toEqual([4 * MB, 4 * MB]);
    const partObjects: string[] = [];
    for await (const key of getObjectStore().list(`parts/${racer.userId}/`)) partObjects.push(key);
    expect(partObjects.sort()).toEqual(parts.map((p) => `parts/${racer.userId}/${p.sha256}/0`).sort());
  });

  it('tiny files are not free: past 2,000 files held, an upload is refused (413) and none of it kept', async () => {
    const db = await getDb();
    const hoarder = await newAppCaller(db, 'quota-files');
    const tiny = (n: number, tag: string) => Array.from({ length: n }, (_, i) => hashed(`${tag}/${i}`, `${tag} ${i} ${Math.random()}`));
    await uploadBlobs(hoarder, tiny(1_000, 'a'));
    await uploadBlobs(hoarder, tiny(900, 'b'));
    const more = tiny(150, 'c');
    await expect(uploadBlobs(hoarder, more)).rejects.toThrow(
      'Storage full: you hold 1,900 files, and this upload adds 150; one account may hold 2,000. Delete sites or files you no longer need, then try again.',
    );
    const held = await heldFiles(hoarder.userId);
    expect(held).toHaveLength(1_900);
    expect(more.some((f) => held.includes(f.sha256))).toBe(false);
    // A hundred more still fit.
    await uploadBlobs(hoarder, more.slice(0, 100));
    expect(await heldFiles(hoarder.userId)).toHaveLength(2_000);
  });

  it('a file already held costs nothing again, and the cleanup gives back what nothing uses', async () => {
    const db = await getDb();
    const held = await heldFiles(victim.userId);
    expect(held).toHaveLength(1);
    expect(await new BlobStore(db).storageUsed(victim.userId)).toBe(10 * MB);
    // Sending a held file again stores nothing and takes no room (it is already complete).
    expect((await chunkRequest(victim, held[0]!, `offset=0&total=${10 * MB}`, new Uint8Array(10))).status).toBe(201);
    expect(await db.select({ id: packs.id }).from(packs).where(eq(packs.userId, victim.userId))).toHaveLength(1);
    expect(await new BlobStore(db).storageUsed(victim.userId)).toBe(10 * MB);
    await db
      .update(packs)
      .set({ createdAt: new Date(Date.now() - 25 * 3600_000) })
      .where(eq(packs.userId, victim.userId));
    const report = await runCleanup(db, { settings: fileSettings.settings });
    expect(report.heldReleased).toBeGreaterThanOrEqual(1);
    expect(await heldFiles(victim.userId)).toEqual([]);
    await uploadBlobs(victim, [hashed('c.bin', randomBytes(3 * MB))]);
    expect(await new BlobStore(db).storageUsed(victim.userId)).toBe(3 * MB);
  });
});

describe('rate limits come before bytes', () => {
  it('REST: a quick deploy over the hourly limit gets 429 with Retry-After, and its files are not stored', async () => {
    fileSettings.forThisTest({ limits: { platformManagedPerHour: 0 } });
    const page = `<p>limited ${Math.random()}</p>`;
    const res = await refusedQuietly(mallory, async () =>
      errorOf(await restDeploy(mallory, 'cloudflare', { authMode: 'platform-managed', projectName: 'Limited', chatId: chat(), files: { 'index.html': page } })),
    );
    expect(res.status).toBe(429);
    expect(Number(res.retryAfter)).toBeGreaterThan(0);
    expect(await stored(sha256Hex(Buffer.from(page)))).toBe(false);
  });

  it('browser: negotiate with the mode answers 429 before anything is uploaded', async () => {
    fileSettings.forThisTest({ limits: { platformManagedPerHour: 0 } });
    const page = hashed('index.html', `<p>${Math.random()}</p>`);
    const refusal = await trpcErrorOf(
      mallory.trpc.files.negotiate.mutate({
        platform: 'vercel',
        authMode: 'platform-managed',
        chatId: chat(),
        manifest: { 'index.html': { sha256: page.sha256, size: page.bytes.length } },
      }),
    );
    expect(refusal.code).toBe('TOO_MANY_REQUESTS');
    expect(refusal.message).toMatch(/Too many deployments/);
  });
});

describe('fair use of the shared quota', () => {
  /** Follows the deployment live (its runner started when it was created) until it ends. */
  async function finish(id: string) {
    const stream = await deploymentEvents(new Request(`${APP_ORIGIN}/api/deployments/${id}/events`, { headers: { authorization: `Bearer ${mallory.key}` } }));
    await readSse(stream, (e) => ['ready', 'error', 'canceled'].includes(JSON.parse(e.data!).status));
    const [row] = await (await getDb()).select().from(deployments).where(eq(deployments.id, id));
    return row!;
  }
  const liveSites = async (platform: 'cloudflare' | 'netlify') =>
    (
      await (
        await getDb()
      )
        .select({ id: sites.id })
        .from(sites)
        .where(and(eq(sites.platform, platform), eq(sites.authMode, 'platform-managed'), eq(sites.status, 'active'), sql`${sites.expiresAt} > now()`))
    ).length;

  it('a quick deploy that fails gives its quota place back at once: the next site fits', async () => {
    fileSettings.forThisTest({ limits: { platformQuota: { ...DEFAULT_LIMITS.platformQuota, netlify: (await liveSites('netlify')) + 1 } } });
    await setFaults(cloud().url, { rules: [{ target: 'netlify', route: '/sites', kind: 'status', status: 500, count: 1000 }] });
    const failed = await finish(await browserDeploy(mallory, 'netlify', { 'index.html': `<p>${Math.random()}</p>` }));
    expect(failed.status).toBe('error');
    await setFaults(cloud().url, { rules: [] });
    const next = await finish(await browserDeploy(mallory, 'netlify', { 'index.html': `<p>${Math.random()}</p>` }));
    expect(next.status).toBe('ready');
  });

  it('a canceled quick deploy gives its place back at once', async () => {
    fileSettings.forThisTest({ limits: { platformQuota: { ...DEFAULT_LIMITS.platformQuota, cloudflare: (await liveSites('cloudflare')) + 1 } } });
    const id = await browserDeploy(mallory, 'cloudflare', { 'index.html': `<p>${Math.random()}</p>` });
    await mallory.trpc.deployments.cancel.mutate({ id });
    const second = await browserDeploy(mallory, 'cloudflare', { 'index.html': `<p>${Math.random()}</p>` });
    expect(second).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("the shared account's own words never reach the user: a failure is told in ours", async () => {
    await setFaults(cloud().url, { rules: [{ target: 'cloudflare', kind: 'status', status: 500, count: 1000 }] });
    const row = await finish(await browserDeploy(mallory, 'cloudflare', { 'index.html': `<p>${Math.random()}</p>` }));
    expect(row.status).toBe('error');
    expect(row.error).toBe('The hosting platform is having trouble right now. Deploy again in a few minutes.');
    const log = await (await getDb()).select({ message: eventsTable.message }).from(eventsTable).where(eq(eventsTable.deploymentId, row.id));
    expect(log.map((e) => e.message).join('\n')).not.toMatch(/unknown error has occurred|10013|0c1f1a2b/);
    const status = (await (
      await deployStatus(new Request(`${APP_ORIGIN}/api/deploy-status?deploymentId=${row.id}`, { headers: { authorization: `Bearer ${mallory.key}` } }))
    ).json()) as { error: string };
    expect(status.error).toBe(row.error);
  });
});

describe('spoofing file names', () => {
  const names = [
    ['a right-to-left override (reads as "exe.html")', '\u202Elmth.exe', 'U+202E'],
    ['a zero-width space', 'log\u200Bin.html', 'U+200B'],
    ['a left-to-right isolate', 'a\u2066b.html', 'U+2066'],
    ['a byte-order mark inside a name', 'x\uFEFF.html', 'U+FEFF'],
    ['a no-break space', 'about\u00A0us.html', 'U+00A0'],
    ['a Hangul filler (blank-looking letter)', '\u3164.html', 'U+3164'],
  ] as const;

  it.each(names)('REST: refuses %s, naming the file with the character spelled out', async (_label, name, code) => {
    const res = await refusedQuietly(mallory, async () =>
      errorOf(
        await restDeploy(mallory, 'cloudflare', {
          authMode: 'platform-managed',
          projectName: 'Names',
          chatId: chat(),
          files: { 'index.html': '<p>x</p>', [name]: 'x' },
        }),
      ),
    );
    expect(res.status).toBe(400);
    expect(res.message).toContain(`contains an invisible or text-direction character (${code})`);
    expect(res.message).toContain(`\\u${code.slice(2)}`);
  });

  it.each(names)('browser: refuses %s at negotiate', async (_label, name, code) => {
    const refusal = await refusedQuietly(mallory, () => trpcErrorOf(browserDeploy(mallory, 'netlify', { 'index.html': '<p>x</p>', [name]: 'x' })));
    expect(refusal.message).toContain(`(${code})`);
  });
});

describe('connection and request floods', () => {
  it('the 21st live deployment stream of one user is refused (429); closing one frees a place', async () => {
    const id = await browserDeploy(mallory, 'cloudflare', { 'index.html': `<p>${Math.random()}</p>` }, { authMode: 'platform-managed' });
    const open = (signal: AbortSignal) =>
      deploymentEvents(new Request(`${APP_ORIGIN}/api/deployments/${id}/events`, { headers: { authorization: `Bearer ${mallory.key}` }, signal }));
    const aborts = Array.from({ length: 21 }, () => new AbortController());
    const first20 = await Promise.all(aborts.slice(0, 20).map((a) => open(a.signal)));
    expect(first20.map((r) => r.status)).toEqual(Array(20).fill(200));
    const extra = await open(aborts[20]!.signal);
    expect(extra.status).toBe(429);
    expect((await errorOf(extra)).message).toMatch(/You already follow 20 deployments live/);
    aborts[0]!.abort();
    await first20[0]!.body!.cancel().catch(() => {});
    const again = await open(aborts[20]!.signal);
    expect(again.status).toBe(200);
    for (const a of aborts) a.abort();
    await Promise.all([...first20.slice(1), again].map((r) => r.body!.cancel().catch(() => {})));
  });

  it('a tRPC body over 8 MB is refused with 413 before it is parsed', async () => {
    const res = await trpcPost(
      new Request(`${APP_ORIGIN}/api/trpc/files.missing`, {
        method: 'POST',
        headers: { cookie: mallory.cookie, origin: APP_ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify({ json: { hashes: [], pad: 'p'.repeat(9 * MB) } }),
      }),
    );
    expect(res.status).toBe(413);
    expect((await errorOf(res)).message).toMatch(/larger than 8 MB/);
  });

  it('a tRPC batch of 21 procedures is refused', async () => {
    const paths = Array(21).fill('account.me').join(',');
    const input = encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [i, {}]))));
    const res = await trpcPost(
      new Request(`${APP_ORIGIN}/api/trpc/${paths}?batch=1&input=${input}`, {
        method: 'POST',
        headers: { cookie: mallory.cookie, origin: APP_ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [i, {}]))),
      }),
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Batch call exceeds maximum size/);
  });
});
