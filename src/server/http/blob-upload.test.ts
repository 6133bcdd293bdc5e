// Uploading files the way the browser does (src/lib/upload.ts) through the real blob routes and a
// real database: small files travel many to a request, large ones in chunks, and a bad batch stores
// nothing.
import { createHash, randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { eq, inArray } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { POST as postBlobs } from '@/app/api/blobs/route';
import { PUT as putBlob } from '@/app/api/blobs/[sha256]/route';
import { uploadMissing, type HashedFile } from '@/lib/upload';
import { signUp } from '@/server/auth/accounts';
import { createApiKey } from '@/server/auth/api-keys';
import { packs } from '@/server/db/schema';
import { blobKey } from '@/server/deploy/blob-keys';
import { BlobStore } from '@/server/deploy/blob-store';
import { decodeEntries } from '@/server/deploy/pack-index';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { APP_ORIGIN } from '@/testing/http';

const getDb = useTestDb();
let userId: string;
let key: string;
beforeAll(async () => {
  const db = await getDb();
  userId = (await signUp(db, { email: uniqueEmail('blobs'), password: 'a long enough password' })).id;
  key = (await createApiKey(db, userId, 'upload test')).key;
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const file = (path: string, bytes: Uint8Array): HashedFile => ({ path, bytes, sha256: sha256(bytes) });

/** The route handlers in process, counted: what the browser's requests reach. */
function routes() {
  const calls: string[] = [];
  const fetchRoute = async (url: string, init: RequestInit) => {
    const request = new Request(`${APP_ORIGIN}${url}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${key}` } });
    calls.push(`${init.method} ${new URL(request.url).pathname.replace(/[0-9a-f]{64}/, '{sha}')}`);
    return init.method === 'POST' ? postBlobs(request) : putBlob(request);
  };
  return { calls, fetchRoute };
}

describe('uploading files', () => {
  it('sends 600 small files in a few multipart requests and a 5 MB file in chunks; the server then lacks none', async () => {
    const small = Array.from({ length: 600 }, (_, i) => file(`p/${i}.html`, randomBytes(2000 + (i % 7) * 1000)));
    const big = file('big.bin', randomBytes(5 * 1024 * 1024));
    const files = [...small, big];
    const { calls, fetchRoute } = routes();
    let last = 0;
    await uploadMissing(
      files,
      files.map((f) => f.sha256),
      (p) => (last = p.files),
      { fetch: fetchRoute },
    );
    expect(last).toBe(601);
    // ~3.5 MB of small files: one or two 4 MB requests, not 600.
    const posts = calls.filter((c) => c === 'POST /api/blobs').length;
    expect(posts).toBeGreaterThanOrEqual(1);
    expect(posts).toBeLessThanOrEqual(2);
    expect(calls.filter((c) => c === 'PUT /api/blobs/{sha}')).toHaveLength(2);
    const db = await getDb();
    const store = new BlobStore(db);
    expect(
      await store.missing(
        userId,
        files.map((f) => f.sha256),
      ),
    ).toEqual([]);
    expect((await store.get(userId, small[42]!.sha256)).equals(Buffer.from(small[42]!.bytes))).toBe(true);
    expect((await store.get(userId, big.sha256)).equals(Buffer.from(big.bytes))).toBe(true);
    // The small files went in as one pack per request: as many pack rows and objects as requests, not 600,
    // their entries naming every file.
    const places = await store.locate(
      userId,
      small.map((f) => f.sha256),
    );
    const held = await db
      .select({ object: packs.object, entries: packs.entries, bytes: packs.bytes })
      .from(packs)
      .where(inArray(packs.id, [...new Set([...places.values()].map((p) => p.pack))]));
    expect(held).toHaveLength(posts);
    expect(held.flatMap((p) => decodeEntries(p.entries).map((e) => e.sha256)).sort()).toEqual(small.map((f) => f.sha256).sort());
    for (const p of held) {
      expect(p.object).toMatch(/^packs\//);
      expect(await store.objects.size(p.object)).toBe(p.bytes);
    }
    expect(await store.objects.size(blobKey(small[42]!.sha256))).toBeNull();
    // The large file is an object of its own, whole.
    const bigAt = (await store.locate(userId, [big.sha256])).get(big.sha256)!;
    expect({ files: bigAt.files, size: await store.objects.size(bigAt.object) }).toEqual({ files: 1, size: big.bytes.length });
    // A deployment's reader finds each of them in its pack, byte for byte.
    const reader = store.reader(
      userId,
      small.map((f) => f.sha256),
    );
    for (const f of [small[0]!, small[299]!, small[599]!]) expect((await buffer(await reader.open(f.sha256))).equals(Buffer.from(f.bytes))).toBe(true);
    await reader.close();
  });

  it('stores an empty file in a batch and reads it back empty', async () => {
    const empty = file('empty.txt', new Uint8Array(0));
    const other = file('other.txt', randomBytes(300));
    const { fetchRoute } = routes();
    await uploadMissing([empty, other], [empty.sha256, other.sha256], () => {}, { fetch: fetchRoute });
    const store = new BlobStore(await getDb());
    expect(await store.get(userId, empty.sha256)).toEqual(Buffer.alloc(0));
    expect((await store.get(userId, other.sha256)).equals(Buffer.from(other.bytes))).toBe(true);
    // Both entries of one pack, the empty one taking no bytes.
    const places = await store.locate(userId, [empty.sha256, other.sha256]);
    expect(places.get(empty.sha256)).toMatchObject({ pack: places.get(other.sha256)!.pack, size: 0, files: 2 });
  });

  it('sends at most 1,000 files a request, and the server refuses (413) a request with more, storing none of it', async () => {
    const db = await getDb();
    const tiny = Array.from({ length: 2_500 }, (_, i) => file(`t/${i}.txt`, Buffer.from(`${i} ${Math.random()}`)));
    const { calls, fetchRoute } = routes();
    await uploadMissing(
      tiny,
      tiny.map((f) => f.sha256),
      () => {},
      { fetch: fetchRoute },
    );
    // 2,500 files of a few bytes fit in one 4 MB request; they go in three.
    expect(calls).toEqual(['POST /api/blobs', 'POST /api/blobs', 'POST /api/blobs']);
    expect(
      await new BlobStore(db).missing(
        userId,
        tiny.map((f) => f.sha256),
      ),
    ).toEqual([]);

    // Each part costs memory beyond its bytes: parts past the limit are not even read.
    const more = Array.from({ length: 1_001 }, (_, i) => file(`m/${i}.txt`, Buffer.from(`${i} more ${Math.random()}`)));
    const form = new FormData();
    for (const f of more) form.append(f.sha256, new Blob([f.bytes as Uint8Array<ArrayBuffer>]), f.sha256);
    const res = await postBlobs(new Request(`${APP_ORIGIN}/api/blobs`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'Send at most 1,000 files per request; send the others in more requests.',
    );
    expect(
      (
        await new BlobStore(db).missing(
          userId,
          more.map((f) => f.sha256),
        )
      ).length,
    ).toBe(1_001);
  });

  it('refuses a batch with one wrong hash and stores none of it', async () => {
    const db = await getDb();
    const packRows = async () => (await db.select({ id: packs.id }).from(packs).where(eq(packs.userId, userId))).length;
    const before = await packRows();
    const good = file('a.txt', randomBytes(100));
    const liar = randomBytes(100);
    const form = new FormData();
    form.append(good.sha256, new Blob([good.bytes as Uint8Array<ArrayBuffer>]), good.sha256);
    form.append(sha256(randomBytes(8)), new Blob([liar]), 'x');
    const res = await postBlobs(new Request(`${APP_ORIGIN}/api/blobs`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/do not match their SHA-256.*Nothing in this batch was stored/);
    expect(await new BlobStore(db).missing(userId, [good.sha256])).toEqual([good.sha256]);
    expect(await packRows()).toBe(before);
  });

  it.each([
    [
      'a part not named by a SHA-256',
      () => {
        const form = new FormData();
        form.append('index.html', new Blob(['<p>x</p>']), 'index.html');
        return { body: form as BodyInit, headers: {} };
      },
      400,
      /Name each part by its file's SHA-256/,
    ],
    [
      'raw bytes instead of multipart',
      () => ({ body: 'abc' as BodyInit, headers: { 'content-type': 'application/octet-stream' } }),
      415,
      /multipart\/form-data/,
    ],
    [
      'more than 4 MB in one request',
      () => {
        const form = new FormData();
        const bytes = randomBytes(4 * 1024 * 1024 + 10);
        form.append(sha256(bytes), new Blob([bytes]), 'big');
        return { body: form as BodyInit, headers: {} };
      },
      413,
      /at most 4 MB/,
    ],
  ])('refuses %s', async (_label, make, status, message) => {
    const { body, headers } = make();
    const res = await postBlobs(new Request(`${APP_ORIGIN}/api/blobs`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body }));
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
  });

  it('answers 401 without credentials', async () => {
    const form = new FormData();
    form.append(sha256(Buffer.from('x')), new Blob(['x']), 'x');
    expect((await postBlobs(new Request(`${APP_ORIGIN}/api/blobs`, { method: 'POST', body: form }))).status).toBe(401);
  });
});
