import { createHash, randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SITE_LIMITS } from '@/lib/site-files';
import { signUp } from '@/server/auth/accounts';
import { blobChunks, packs } from '@/server/db/schema';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { pruneStaleChunks } from './blob-chunks';
import { blobKey, newPackId, partKey, sha256Hex } from './blob-keys';
import { BlobStore } from './blob-store';
import { assertStoredAsDeclared, decodeInlineFiles, storeInlineFiles, validateManifest, withChanges, type InlineFiles, type ProposedManifest } from './files';
import { decodeEntries } from './pack-index';

const getDb = useTestDb();
const h = (s: string) => sha256Hex(Buffer.from(s));
const entry = (s: string) => ({ sha256: h(s), size: Buffer.byteLength(s) });
const site = (extra: ProposedManifest = {}): ProposedManifest => ({ 'index.html': entry('<h1>hi</h1>'), ...extra });

describe('validating a manifest', () => {
  it('normalizes paths, keeps unicode, and types files from their extension', () => {
    const m = validateManifest(
      site({ './css/site.css': entry('b'), 'café/ménu.txt': entry('c'), 'fonts/a.woff2': entry('d'), LICENSE: entry('e') }),
      'cloudflare',
    );
    expect(Object.keys(m).sort()).toEqual(['LICENSE', 'café/ménu.txt', 'css/site.css', 'fonts/a.woff2', 'index.html']);
    expect(m['index.html']!.contentType).toBe('text/html; charset=utf-8');
    expect(m['fonts/a.woff2']!.contentType).toBe('font/woff2');
    expect(m['LICENSE']!.contentType).toBe('application/octet-stream');
  });

  it.each([
    ['../etc/passwd', /goes up a folder/],
    ['a/../../b', /goes up a folder/],
    ['/etc/passwd', /is absolute/],
    ['C:/x.html', /is absolute/],
    ['a\\b.html', /backslash/],
    ['a\u0000b', /control character/],
    ['a\nb', /control character/],
    ['a\tb.html', /control character/],
    ['a\u001fb.html', /control character/],
    ['a\u007fb.html', /control character/],
    ['a\u200bb.html', /invisible/],
    ['a//b.html', /empty folder name/],
    ['dir/', /empty folder name/],
    [`${'x'.repeat(256)}.html`, /longer than 255 bytes/],
    [`${'é'.repeat(128)}`, /longer than 255 bytes/],
    ['a\ud800b.html', /half of a character/],
    ['a\udfffb.html', /half of a character/],
  ])('refuses the path %j with a message that names it', (path, reason) => {
    expect(() => validateManifest(site({ [path]: entry('x') }), 'amplify')).toThrow(reason);
  });

  it.each([
    ['./a.html', 'a.html'],
    ['a/./b.html', 'a/b.html'],
    ['a/.', 'a'],
    ['.well-known/security.txt', '.well-known/security.txt'],
    ['a..b/.../..c', 'a..b/.../..c'],
    ['x'.repeat(255), 'x'.repeat(255)],
    [`a/${'x'.repeat(255)}`, `a/${'x'.repeat(255)}`],
    ['./é/./a.txt', 'é/a.txt'],
  ])('stores the path %j as %j', (path, stored) => {
    expect(Object.keys(validateManifest(site({ [path]: entry('x') }), 'amplify'))).toContain(stored);
  });

  it.each([
    ['.', /names no file/],
    ['./', /empty folder name/],
    ['a/..', /goes up a folder/],
    ['..', /goes up a folder/],
    [`${'x'.repeat(256)}`, /longer than 255 bytes/],
    [`a/${'x'.repeat(256)}/b`, /longer than 255 bytes/],
  ])('refuses the plain ASCII path %j too', (path, reason) => {
    expect(() => validateManifest(site({ [path]: entry('x') }), 'amplify')).toThrow(reason);
  });

  it('keeps every printable ASCII character of a name as it is', () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
      .filter((c) => c !== '/' && c !== '\\')
      .join('');
    const m = validateManifest(site({ [`${printable}.txt`]: entry('x') }), 'amplify');
    expect(Object.keys(m)).toContain(`${printable}.txt`);
  });

  it('takes files named like Object properties (constructor, toString, __proto__) as files', () => {
    const named = Object.fromEntries([
      ['constructor', entry('k')],
      ['toString', entry('t')],
      ['__proto__', entry('p')],
      ['hasOwnProperty', entry('o')],
    ]);
    const m = validateManifest(site(named), 'cloudflare');
    expect(Object.keys(m).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'index.html', 'toString']);
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(m, '__proto__')?.value).toEqual({ ...entry('p'), contentType: 'application/octet-stream' });
    expect(m['constructor']).toEqual({ ...entry('k'), contentType: 'application/octet-stream' });
  });

  it('refuses two paths that normalize to the same file', () => {
    expect(() => validateManifest(site({ 'a.html': entry('1'), './a.html': entry('2') }), 'amplify')).toThrow(/same path "a.html"/);
    expect(() => validateManifest(site({ 'caf\u00e9.txt': entry('1'), 'cafe\u0301.txt': entry('2') }), 'amplify')).toThrow(/same path/);
  });

  it('refuses 5,001 files, 51 MB, and a 26 MiB file for Cloudflare (but not for Amplify)', () => {
    const many: ProposedManifest = {};
    for (let i = 0; i < SITE_LIMITS.maxFiles; i++) many[`f${i}.txt`] = entry('x');
    expect(() => validateManifest(site(many), 'amplify')).toThrow(/5,001 files; a deployment may have at most 5,000/);
    const big = (mb: number) => ({ sha256: h(String(mb)), size: mb * 1024 * 1024 });
    expect(() => validateManifest(site({ 'a.bin': big(26), 'b.bin': big(25) }), 'amplify')).toThrow(/51\.0 MB; a deployment may be at most 50\.0 MB/);
    expect(() => validateManifest(site({ 'video.mp4': big(26) }), 'cloudflare')).toThrow(/video\.mp4" is 26\.0 MB; Cloudflare serves files of at most 25 MiB/);
    expect(validateManifest(site({ 'video.mp4': big(26) }), 'amplify')['video.mp4']!.size).toBe(26 * 1024 * 1024);
  });

  it('refuses what a platform cannot take: # or ? in a name on Netlify (fine elsewhere)', () => {
    expect(() => validateManifest(site({ 'docs/a#b.html': entry('x') }), 'netlify')).toThrow(/file names may not contain # or \?/);
    expect(() => validateManifest(site({ 'q?.txt': entry('x') }), 'netlify')).toThrow(/file names may not contain # or \?/);
    expect(Object.keys(validateManifest(site({ 'docs/a#b.html': entry('x') }), 'vercel'))).toContain('docs/a#b.html');
  });

  it('names the folder that holds index.html when it is not at the root', () => {
    expect(() => validateManifest({ 'dist/index.html': entry('a'), 'dist/assets/app.js': entry('b') }, 'cloudflare')).toThrow(
      'There is no index.html at the root of your site: your files are under dist/. Deploy the contents of dist/ instead.',
    );
    expect(() => validateManifest({ 'about.html': entry('a') }, 'cloudflare')).toThrow(/There is no index.html at the root/);
    expect(() => validateManifest({}, 'cloudflare')).toThrow(/no files/);
  });
});

describe("a delta's files (withChanges)", () => {
  const base = validateManifest(site({ 'a.css': entry('a'), 'b/c.js': entry('c'), 'z.txt': entry('z') }), 'cloudflare');

  it('keeps path order, changes and removes in place, leaves the base as it was', () => {
    const rebuilt = withChanges(base, { changed: { 'a.css': entry('a2') }, removed: ['z.txt'] });
    expect(Object.keys(rebuilt)).toEqual(['a.css', 'b/c.js', 'index.html']);
    expect(rebuilt['a.css']).toEqual({ ...entry('a2'), contentType: 'text/css; charset=utf-8' });
    expect(Object.keys(base)).toEqual(['a.css', 'b/c.js', 'index.html', 'z.txt']);
    expect(base['a.css']!.sha256).toBe(h('a'));
  });

  it('puts a new path in its place, and keeps files named like Object properties as files', () => {
    const rebuilt = withChanges(base, {
      changed: Object.fromEntries([
        ['__proto__', entry('p')],
        ['constructor', entry('k')],
        ['b/a.js', entry('n')],
      ]),
      removed: [],
    });
    expect(Object.keys(rebuilt)).toEqual(['__proto__', 'a.css', 'b/a.js', 'b/c.js', 'constructor', 'index.html', 'z.txt']);
    expect(Object.getPrototypeOf(rebuilt)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(rebuilt, '__proto__')?.value).toEqual({ ...entry('p'), contentType: 'application/octet-stream' });
  });
});

describe('inline files and the blob store', () => {
  let userId: string;
  let otherId: string;
  beforeAll(async () => {
    const db = await getDb();
    userId = (await signUp(db, { email: uniqueEmail(), password: 'a long enough password' })).id;
    otherId = (await signUp(db, { email: uniqueEmail(), password: 'a long enough password' })).id;
  });

  it('decodes text and base64 files byte for byte and refuses invalid base64', () => {
    const png = randomBytes(300);
    const { proposed, bytes } = decodeInlineFiles({ 'index.html': '<p>é</p>', 'a.png': { base64: png.toString('base64') } });
    expect(bytes.get(proposed['a.png']!.sha256)!.equals(png)).toBe(true);
    expect(proposed['index.html']!.size).toBe(Buffer.byteLength('<p>é</p>'));
    expect(() => decodeInlineFiles({ 'a.png': { base64: 'not base64!' } })).toThrow('The file "a.png" is not valid base64.');
    // A JSON body names a file `__proto__` as any other.
    const named = decodeInlineFiles(JSON.parse('{"index.html": "<p>hi</p>", "__proto__": "proto", "constructor": "k"}') as InlineFiles).proposed;
    expect(Object.keys(named)).toEqual(['index.html', '__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(named, '__proto__')?.value).toEqual({ sha256: h('proto'), size: 5 });
  });

  it('answers only the hashes this user lacks, and verifies bytes against their hash', async () => {
    const store = new BlobStore(await getDb());
    const a = Buffer.from(`a-${Math.random()}`);
    const b = Buffer.from(`b-${Math.random()}`);
    expect(await store.missing(userId, [sha256Hex(a), sha256Hex(b), sha256Hex(a)])).toEqual([sha256Hex(a), sha256Hex(b)]);
    await store.put(userId, sha256Hex(a), a);
    expect(await store.missing(userId, [sha256Hex(a), sha256Hex(b)])).toEqual([sha256Hex(b)]);
    await expect(store.put(userId, sha256Hex(b), a)).rejects.toThrow(/do not match their SHA-256/);
    expect(await store.missing(userId, [sha256Hex(b)])).toEqual([sha256Hex(b)]);
    // Another user must prove they hold the bytes too: knowing the hash is not enough.
    expect(await store.missing(otherId, [sha256Hex(a)])).toEqual([sha256Hex(a)]);
    expect((await store.get(userId, sha256Hex(a))).equals(a)).toBe(true);
    // Nor is reading it: to the other user the file is not stored.
    await expect(store.get(otherId, sha256Hex(a))).rejects.toThrow(`The file with SHA-256 ${sha256Hex(a)} is not stored.`);
  });

  it('assembles a file larger than one request from chunks, verifying the whole', async () => {
    const store = new BlobStore(await getDb());
    const step = 512 * 1024; // any size up to 4 MB per request
    const big = randomBytes(step * 2 + 1000);
    const hash = sha256Hex(big);
    // Out of order, with one part sent twice (a retry): still one correct file.
    expect(await store.putChunk(userId, hash, step, big.length, big.subarray(step, 2 * step))).toEqual({ complete: false, received: step });
    await store.putChunk(userId, hash, 0, big.length, big.subarray(0, step));
    await store.putChunk(userId, hash, 0, big.length, big.subarray(0, step));
    expect((await store.putChunk(userId, hash, 2 * step, big.length, big.subarray(2 * step))).complete).toBe(true);
    expect((await store.get(userId, hash)).equals(big)).toBe(true);
    // Assembled into an object of its own: a pack row of one file, its whole size.
    const at = (await store.locate(userId, [hash])).get(hash)!;
    expect({ files: at.files, offset: at.offset, size: at.size }).toEqual({ files: 1, offset: 0, size: big.length });
    expect(await store.objects.size(at.object)).toBe(big.length);
    await expect(store.putChunk(userId, hash, 0, 10, Buffer.alloc(11))).rejects.toThrow(/does not fit/);
    await expect(store.putChunk(userId, hash, 0, 8e6, Buffer.alloc(SITE_LIMITS.maxUploadRequestBytes + 1))).rejects.toThrow(/1 byte to 4 MB/);
  });

  it('prunes the parts of an upload abandoned for a day, not those of one taken up again or still arriving', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const step = 256 * 1024;
    const file = () => {
      const big = randomBytes(step * 2 + 10);
      return { big, hash: sha256Hex(big), part: (i: number) => big.subarray(i * step, Math.min(big.length, (i + 1) * step)) };
    };
    const age = (hash: string) =>
      db.execute(sql`update blob_chunks set created_at = now() - interval '25 hours' where user_id = ${userId} and sha256 = ${hash}`);
    const partsOf = async (hash: string) =>
      (
        await db
          .select({ offset: blobChunks.offset })
          .from(blobChunks)
          .where(and(eq(blobChunks.userId, userId), eq(blobChunks.sha256, hash)))
      ).length;

    // Taken up again the next day: its first part sent again is new.
    const again = file();
    await store.putChunk(userId, again.hash, 0, again.big.length, again.part(0));
    await age(again.hash);
    await store.putChunk(userId, again.hash, 0, again.big.length, again.part(0));
    // Still arriving: an old first part, and a second part just now.
    const arriving = file();
    await store.putChunk(userId, arriving.hash, 0, arriving.big.length, arriving.part(0));
    await age(arriving.hash);
    await store.putChunk(userId, arriving.hash, step, arriving.big.length, arriving.part(1));
    // Abandoned: one part, a day old.
    const abandoned = file();
    await store.putChunk(userId, abandoned.hash, 0, abandoned.big.length, abandoned.part(0));
    await age(abandoned.hash);

    await pruneStaleChunks(store, 24 * 3600_000);
    expect([await partsOf(again.hash), await partsOf(arriving.hash), await partsOf(abandoned.hash)]).toEqual([1, 2, 0]);
    expect(await store.objects.size(partKey(userId, abandoned.hash, 0))).toBeNull();
    for (const { big, hash, part } of [again, arriving]) {
      for (const i of hash === again.hash ? [1, 2] : [2]) await store.putChunk(userId, hash, i * step, big.length, part(i));
      expect((await store.get(userId, hash)).equals(big)).toBe(true);
    }
  });

  it("keeps a day-old upload sent again whole while the day's prune runs between a part's bytes and its row", async () => {
    const db = await getDb();
    const plain = new BlobStore(db);
    const step = 256 * 1024;
    const big = randomBytes(step + 10);
    const hash = sha256Hex(big);
    await plain.putChunk(userId, hash, 0, big.length, big.subarray(0, step));
    await db.execute(sql`update blob_chunks set created_at = now() - interval '25 hours' where user_id = ${userId} and sha256 = ${hash}`);
    // The prune runs right after the part sent again is written, before its row is.
    let pruned = false;
    const objects = new Proxy(plain.objects, {
      get(target, prop, receiver) {
        if (prop !== 'put') return Reflect.get(target, prop, receiver) as unknown;
        return async (...args: Parameters<typeof target.put>) => {
          const size = await target.put(...args);
          if (!pruned && args[0] === partKey(userId, hash, 0)) {
            pruned = true;
            await pruneStaleChunks(plain, 24 * 3600_000);
          }
          return size;
        };
      },
    });
    const racing = new BlobStore(db, objects);
    await racing.putChunk(userId, hash, 0, big.length, big.subarray(0, step));
    expect(pruned).toBe(true);
    expect((await racing.putChunk(userId, hash, step, big.length, big.subarray(step))).complete).toBe(true);
    expect((await plain.get(userId, hash)).equals(big)).toBe(true);
  });

  it("keeps the SHA-1 of each file in its pack entry, and computes it from the bytes for an older install's file", async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const a = Buffer.from(`sha1-a-${Math.random()}`);
    const b = Buffer.from(`sha1-b-${Math.random()}`);
    await store.put(userId, sha256Hex(a), a);
    const sha1 = (x: Buffer) => createHash('sha1').update(x).digest('hex');
    const at = (await store.locate(userId, [sha256Hex(a)])).get(sha256Hex(a))!;
    const [rowA] = await db.select({ entries: packs.entries }).from(packs).where(eq(packs.id, at.pack));
    expect(decodeEntries(rowA!.entries)).toEqual([{ sha256: sha256Hex(a), sha1: sha1(a), offset: 0, size: a.length }]);
    // A file an older install stored before SHA-1 was kept: its own object, its entry's SHA-1 all zeros
    // (as migration 0015 writes it): hashed from the bytes when asked.
    await store.objects.put(blobKey(sha256Hex(b)), b);
    await store.record({ id: newPackId(), object: blobKey(sha256Hex(b)), entries: [{ sha256: sha256Hex(b), sha1: '', offset: 0, size: b.length }] }, userId);
    const answer = await store.sha1Many(userId, [sha256Hex(a), sha256Hex(b), sha256Hex(a)]);
    expect(Object.fromEntries(answer)).toEqual({ [sha256Hex(a)]: sha1(a), [sha256Hex(b)]: sha1(b) });
    // The answer came from the bytes: the entry still has no SHA-1 (entries never change).
    const [rowB] = await db
      .select({ entries: packs.entries })
      .from(packs)
      .where(eq(packs.object, blobKey(sha256Hex(b))));
    expect(rowB!.entries.subarray(32, 52).equals(Buffer.alloc(20))).toBe(true);
  });

  it('stores inline files once and then reports nothing missing for their manifest', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const { proposed, bytes } = decodeInlineFiles({ 'index.html': `<h1>${Math.random()}</h1>` });
    const manifest = validateManifest(proposed, 'cloudflare');
    await expect(assertStoredAsDeclared(store, userId, manifest)).rejects.toThrow(/were not uploaded yet \(first: "index.html"\)/);
    await storeInlineFiles(store, userId, bytes);
    await expect(assertStoredAsDeclared(store, userId, manifest)).resolves.toBeUndefined();
  });

  it('refuses a declared size that is not the stored one, naming the file (the server decides sizes)', async () => {
    const db = await getDb();
    const store = new BlobStore(db);
    const big = randomBytes(3000);
    await store.put(userId, sha256Hex(big), big);
    const manifest = validateManifest({ 'index.html': { sha256: sha256Hex(big), size: 1 } }, 'cloudflare');
    await expect(assertStoredAsDeclared(store, userId, manifest)).rejects.toThrow(
      'The size given for "index.html" (1 bytes) is not the size of its uploaded file (3,000 bytes). Send each file\'s real size.',
    );
  });
});
