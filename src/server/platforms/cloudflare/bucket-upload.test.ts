// Cloudflare's asset buckets as they are sent: built from streams as they go out, byte for byte the
// multipart body a FormData of Blobs makes, exactly as long as announced, and sent whole again when
// the platform fails an attempt.
import { useLocalCloud } from '@/testing/local-cloud';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_CLOUDFLARE } from '@/lib/platforms/cloudflare/local';
import { contentTypeFor } from '@/lib/site-files';
import { cloudStats, fetchSite, hostOf, setFaults } from '@/testing/cloud';
import { memoryDeployContext } from '@/testing/deploy-context';
import type { AdapterSettings } from '../adapter';
import { DEFAULT_RETRY } from '../http';
import { cloudflareAdapter, cloudflareAssetHash, CLOUDFLARE_POLLING } from './adapter';
import { bucketBody, type BucketFile } from './bucket-body';

const cloud = useLocalCloud();
/** Short retries, handed to the adapter as a deployment's settings would be. */
const settings: AdapterSettings = { retries: { ...DEFAULT_RETRY, baseDelayMs: 5, maxDelayMs: 20, attempts: 4 }, polling: CLOUDFLARE_POLLING };
afterEach(() => setFaults(cloud().url, { rules: [] }));

const PLATFORM = { apiToken: LOCAL_CLOUDFLARE.platformToken, accountId: LOCAL_CLOUDFLARE.accountId };
const UPLOAD = 'cloudflare POST /client/v4/accounts/:account/workers/assets/upload';

/** A file of a bucket streaming its bytes in pieces of `piece` bytes, its openings recorded in `opened`. */
function bucketFile(name: string, bytes: Buffer, contentType: string, opened: string[] = [], piece = 16 * 1024): BucketFile {
  return {
    hash: createHash('sha256').update(name).digest('hex').slice(0, 32),
    size: bytes.length,
    contentType,
    open: async () => {
      opened.push(name);
      const pieces = [];
      for (let at = 0; at < bytes.length; at += piece) pieces.push(bytes.subarray(at, at + piece));
      return Readable.from(pieces);
    },
  };
}

const read = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** Binary files whose sizes leave 0, 1 and 2 bytes over a group of three, an empty one among them. */
const BINARY = { 'empty.bin': 0, 'one.bin': 1, 'two.bin': 2, 'three.bin': 3, 'img/photo.png': 70_001, 'fonts/brand.woff2': 65_536 };

describe('a bucket body', () => {
  it('is byte for byte what fetch makes of a FormData of base64 Blobs, and exactly as long as it says', async () => {
    const files = Object.entries(BINARY).map(([name, size]) => ({ name, bytes: randomBytes(size), type: contentTypeFor(name) ?? 'application/null' }));
    files.push({ name: 'index.html', bytes: Buffer.from('<h1>héllo</h1>'), type: contentTypeFor('index.html')! });
    const { contentType, body } = bucketBody(files.map((f) => bucketFile(f.name, f.bytes, f.type)));
    const sent = await read(await body.open());
    expect(sent.length).toBe(body.length);

    const form = new FormData();
    for (const f of files) {
      const { hash } = bucketFile(f.name, f.bytes, f.type);
      form.append(hash, new Blob([f.bytes.toString('base64')], { type: f.type }), hash);
    }
    const request = new Request('http://bucket.test/', { method: 'POST', body: form });
    const theirBoundary = /boundary=(.+)$/.exec(request.headers.get('content-type')!)![1]!;
    const ourBoundary = /boundary=(.+)$/.exec(contentType)![1]!;
    const theirs = Buffer.from(await request.arrayBuffer())
      .toString('latin1')
      .replaceAll(theirBoundary, ourBoundary);
    expect(sent.toString('latin1')).toBe(theirs);

    // And the platform's own parser reads every file back.
    const parsed = await new Response(sent, { headers: { 'content-type': contentType } }).formData();
    for (const f of files) {
      const part = parsed.get(bucketFile(f.name, f.bytes, f.type).hash) as File;
      expect(Buffer.from(await part.text(), 'base64').equals(f.bytes), f.name).toBe(true);
      expect(part.type, f.name).toBe(f.type);
    }
  });

  it('is built as it is sent: a file is opened when its turn comes (the next one a little ahead), and again for each attempt', async () => {
    const opened: string[] = [];
    const files = ['a.bin', 'b.bin', 'c.bin', 'd.bin'].map((name) => bucketFile(name, randomBytes(3 * 1024 * 1024), 'application/octet-stream', opened));
    const { body } = bucketBody(files);
    let bytes = 0;
    for await (const chunk of await body.open()) {
      bytes += (chunk as Buffer).length;
      // A bucket made in advance would have read every file before its first byte went out.
      if (bytes > 256 * 1024) break;
    }
    expect(opened).toEqual(['a.bin', 'b.bin']);
    opened.length = 0;
    expect((await read(await body.open())).length).toBe(body.length);
    expect(opened).toEqual(['a.bin', 'b.bin', 'c.bin', 'd.bin']);
  });

  it('opens small files a few ahead, and lets go of them when the attempt is given up', async () => {
    const streams: Readable[] = [];
    const files = Array.from({ length: 40 }, (_, i) => {
      const file = bucketFile(`f${i}.txt`, randomBytes(64_000), 'text/plain');
      return { ...file, open: async () => streams[streams.push(await file.open()) - 1]! };
    });
    const stream = await bucketBody(files).body.open();
    for await (const _ of stream) break;
    // The body is written 256 KB at a time: the four files (85 KB of base64 each) that fill the
    // first write, and 8 ahead of the last of them.
    expect(streams.length).toBe(4 + 8);
    await new Promise((r) => setImmediate(r));
    expect(streams.every((s) => s.destroyed)).toBe(true);
  });
});

describe('uploading buckets to the local cloud', () => {
  /**
   * New assets for each deploy: Cloudflare asks only for what it lacks, and the asset hash comes from
   * the bytes and the extension, so the tiny files get an extension of their own.
   */
  const site = (): Record<string, Buffer> => {
    const tag = randomBytes(4).toString('hex');
    const files: Record<string, Buffer> = { 'index.html': Buffer.from(`<h1>${tag}</h1>`) };
    for (const [name, size] of Object.entries(BINARY)) files[size < 4 ? `${name}${tag}` : name] = randomBytes(size);
    return files;
  };
  const served = async (url: string, path: string) => (await fetchSite(cloud().url, hostOf(url), path === 'index.html' ? '/' : `/${path}`)).body;

  /** The length of the body the site's files make as one bucket (it does not depend on their order). */
  function expectedLength(files: Record<string, Buffer>): number {
    const assets = Object.entries(files).map(([path, bytes]) => ({
      ...bucketFile(path, bytes, contentTypeFor(path) ?? 'application/null'),
      hash: cloudflareAssetHash(createHash('sha256').update(bytes).digest('hex'), path),
    }));
    return bucketBody(assets).body.length;
  }

  it('the platform receives, in one request, exactly the length announced for a bucket of binary files, and serves every byte', async () => {
    const files = site();
    const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files });
    const before = await cloudStats(cloud().url);
    const outcome = await cloudflareAdapter.deploy(h.ctx);
    const after = await cloudStats(cloud().url);
    const requests =
      Object.values(after.requests[UPLOAD] ?? {}).reduce((a, b) => a + b, 0) - Object.values(before.requests[UPLOAD] ?? {}).reduce((a, b) => a + b, 0);
    expect(requests).toBe(1);
    expect((after.bytesReceived[UPLOAD] ?? 0) - (before.bytesReceived[UPLOAD] ?? 0)).toBe(expectedLength(files));
    for (const [path, content] of Object.entries(files)) expect((await served(outcome.url, path)).equals(content), path).toBe(true);
  });

  it('a bucket the platform refused (503) or handled without answering (a lost answer) is sent again whole, read afresh from the store', async () => {
    for (const kind of ['status', 'drop-after'] as const) {
      await setFaults(cloud().url, { rules: [{ target: 'cloudflare', route: '/workers/assets/upload', kind, status: 503, count: 1 }] });
      const files = site();
      const h = memoryDeployContext({ settings, mode: 'platform-managed', credentials: PLATFORM, files });
      const before = await cloudStats(cloud().url);
      const outcome = await cloudflareAdapter.deploy(h.ctx);
      const after = await cloudStats(cloud().url);
      expect(after.faultsFired, kind).toEqual({ 'rule-1': 1 });
      // A 503 is answered before the body is read; a lost answer comes after all of it was.
      const bodies = kind === 'status' ? 1 : 2;
      expect((after.bytesReceived[UPLOAD] ?? 0) - (before.bytesReceived[UPLOAD] ?? 0), kind).toBe(bodies * expectedLength(files));
      // Each attempt opens the files afresh: an attempt that was handled read every one of them (a
      // refused one may have been cut off before some).
      const openings = Object.values(h.ctx.manifest).map(({ sha256 }) => h.opened.filter((sha) => sha === sha256).length);
      expect(
        openings.every((n) => n === 2 || (kind === 'status' && n === 1)),
        `${kind}: ${openings}`,
      ).toBe(true);
      for (const [path, content] of Object.entries(files)) expect((await served(outcome.url, path)).equals(content), `${kind} ${path}`).toBe(true);
      await setFaults(cloud().url, { rules: [] });
    }
  });
});
