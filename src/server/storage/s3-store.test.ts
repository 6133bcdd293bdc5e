// What only the S3 backend has: the wire (the checking proxy is not vacuous), listing across pages,
// retries, and errors that say what failed without a credential. The shared behaviour is in
// object-store.contract.test.ts.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodiesWithoutContentLength } from '@/testing/s3-checking-proxy';
import { createBucket, startS3Server, type S3TestServer } from '@/testing/s3-server';
import { ObjectNotFound, readAll } from './object-store';
import { S3Error } from './s3-request';
import { S3ObjectStore } from './s3-store';

const FAST_RETRY = { baseDelayMs: 1 };

describe('S3 store on s3rver', () => {
  let server: S3TestServer;
  let store: S3ObjectStore;
  beforeAll(async () => {
    server = await startS3Server();
    await createBucket(server.connection, 'wire');
    store = new S3ObjectStore({ ...server.connection, bucket: 'wire' }, { retry: FAST_RETRY });
  });
  afterAll(() => server?.close());

  it('has the checking proxy refuse, and record, a chunked body', async () => {
    const body = Buffer.from('sent in chunks');
    const signer = new AwsClient({ ...server.connection, service: 's3' });
    const signed = await signer.sign(`${server.connection.endpoint}/wire/chunked/x`, {
      method: 'PUT',
      headers: { 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') },
    });
    const headers: Record<string, string> = {};
    signed.headers.forEach((value, name) => (headers[name] = value));
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(signed.url, { method: 'PUT', headers }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      // No Content-Length: Node sends the body chunked.
      request.write(body.subarray(0, 4));
      request.end(body.subarray(4));
    });
    expect(status).toBe(411);
    const recorded = server.requests.at(-1)!;
    expect(recorded).toMatchObject({ method: 'PUT', transferEncoding: 'chunked', bodyBytes: body.length, refused: 'MissingContentLength' });
    expect(bodiesWithoutContentLength([recorded])).toEqual([recorded]);
    expect(await store.size('chunked/x')).toBeNull();
  });

  it('has the checking proxy refuse a wrong signature, and says so without the secret', async () => {
    const secret = 'wrong-secret-that-must-not-be-echoed';
    const forged = new S3ObjectStore({ ...server.connection, secretAccessKey: secret, bucket: 'wire' }, { retry: FAST_RETRY });
    const error = await forged.put('forged/x', Buffer.from('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3Error);
    expect(error).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect((error as Error).message).toMatch(/PUT forged\/x.*HTTP 403 SignatureDoesNotMatch/);
    expect((error as Error).message).not.toContain(secret);
    expect(await store.size('forged/x')).toBeNull();
  });

  it('has the checking proxy refuse bytes that are not the ones hashed', async () => {
    const signer = new AwsClient({ ...server.connection, service: 's3' });
    const signed = await signer.sign(`${server.connection.endpoint}/wire/tampered/x`, {
      method: 'PUT',
      headers: { 'x-amz-content-sha256': createHash('sha256').update('the promised bytes').digest('hex') },
    });
    const response = await fetch(signed, { body: 'other bytes entirely' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    expect(await store.size('tampered/x')).toBeNull();
  });

  it('refuses an answer that is not the range asked for (s3rver answers bytes=0-0 with the whole object)', async () => {
    await store.put('range/x', Buffer.from('0123456789'));
    // Another process's store: it holds no copy of the object, so it asks S3.
    const elsewhere = new S3ObjectStore({ ...server.connection, bucket: 'wire' }, { retry: FAST_RETRY });
    await expect(elsewhere.get('range/x', { start: 0, end: 0 })).rejects.toThrow(/asked for bytes 0-0, got bytes 0-9\/10/);
  });

  describe('local copies (a pack read at create and again by the runner)', () => {
    const gets = (key: string) => server.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/wire/${key}`)).length;

    it('keeps what it stored as its copy: reading it back, whole, in ranges or as a file, downloads nothing', async () => {
      const cached = new S3ObjectStore({ ...server.connection, bucket: 'wire' }, { retry: FAST_RETRY, localCopyBytes: 1024 * 1024 });
      await cached.put('copies/parts', [Buffer.from('pack '), Buffer.from('in parts')]);
      await cached.put('copies/stream', Readable.from([Buffer.from('a large '), Buffer.from('file')]));
      expect((await readAll(await cached.get('copies/parts'))).toString()).toBe('pack in parts');
      expect((await readAll(await cached.get('copies/parts', { start: 5, end: 6 }))).toString()).toBe('in');
      // As S3 answers a range that runs past the end: up to the last byte.
      expect((await readAll(await cached.get('copies/stream', { start: 8, end: 99 }))).toString()).toBe('file');
      const file = await cached.local('copies/stream');
      expect(readFileSync(file.path, 'utf8')).toBe('a large file');
      await file.release();
      expect(gets('copies/parts') + gets('copies/stream')).toBe(0);
      // A range that starts past the end is S3's to refuse.
      await expect(cached.get('copies/parts', { start: 13, end: 20 })).rejects.toMatchObject({ status: 416 });
      // What S3 holds is what was sent.
      const elsewhere = new S3ObjectStore({ ...server.connection, bucket: 'wire' }, { retry: FAST_RETRY });
      expect((await readAll(await elsewhere.get('copies/parts'))).toString()).toBe('pack in parts');
    });

    it('keeps no copy of an object it failed to store', async () => {
      const spoolDir = mkdtempSync(path.join(os.tmpdir(), 'huskit-s3-test-spool-'));
      try {
        const cached = new S3ObjectStore({ ...server.connection, bucket: 'wire' }, { retry: FAST_RETRY, spoolDir });
        const refused = new Error('refused by the caller');
        await expect(cached.put('copies/refused', Buffer.from('x'), { beforeCommit: () => Promise.reject(refused) })).rejects.toBe(refused);
        // Refused by S3 (the wrong signature), after the body was spooled.
        const forged = new S3ObjectStore({ ...server.connection, secretAccessKey: 'wrong', bucket: 'wire' }, { retry: FAST_RETRY, spoolDir });
        await expect(forged.put('copies/refused', Readable.from([Buffer.from('y')]))).rejects.toMatchObject({ status: 403 });
        expect(readdirSync(spoolDir)).toEqual([]);
        await expect(cached.get('copies/refused')).rejects.toBeInstanceOf(ObjectNotFound);
        await expect(forged.local('copies/refused')).rejects.toMatchObject({ status: 403 });
      } finally {
        rmSync(spoolDir, { recursive: true, force: true });
      }
    });

    it('stores a pack even when its copy cannot be written: it is downloaded when read', async () => {
      const nowhere = path.join(os.tmpdir(), `huskit-no-such-folder-${process.pid}`, 'spool');
      const cached = new S3ObjectStore({ ...server.connection, bucket: 'wire' }, { retry: FAST_RETRY, spoolDir: nowhere });
      expect(await cached.put('copies/uncopied', [Buffer.from('sent '), Buffer.from('anyway')])).toBe(11);
      expect(existsSync(nowhere)).toBe(false);
      expect((await readAll(await cached.get('copies/uncopied'))).toString()).toBe('sent anyway');
      expect(gets('copies/uncopied')).toBe(1);
    });

    it("downloads another process's object once while its copy is kept, and hands out the same bytes", async () => {
      await store.put('copies/a', Buffer.from('pack a'));
      const cached = new S3ObjectStore({ ...server.connection, bucket: 'wire' }, { retry: FAST_RETRY, localCopyBytes: 1024 * 1024 });
      const first = await cached.local('copies/a');
      const second = await cached.local('copies/a');
      expect(second.path).toBe(first.path);
      expect(readFileSync(second.path, 'utf8')).toBe('pack a');
      await first.release();
      await second.release();
      expect(readFileSync((await cached.local('copies/a')).path, 'utf8')).toBe('pack a');
      expect((await readAll(await cached.get('copies/a'))).toString()).toBe('pack a');
      expect(gets('copies/a')).toBe(1);
    });

    it('removes the least recently used copies past its budget, never one in use', async () => {
      const cached = new S3ObjectStore({ ...server.connection, bucket: 'wire' }, { retry: FAST_RETRY, localCopyBytes: 250 });
      for (const k of ['b', 'c', 'd']) await store.put(`copies/${k}`, Buffer.alloc(100, k));
      const inUse = await cached.local('copies/b');
      const c = await cached.local('copies/c');
      await c.release();
      const d = await cached.local('copies/d');
      await d.release();
      // 300 bytes held against 250: c (least recently used and free) goes; b is in use and stays.
      expect(existsSync(c.path)).toBe(false);
      expect(existsSync(inUse.path)).toBe(true);
      expect(existsSync(d.path)).toBe(true);
      const again = await cached.local('copies/c');
      expect(gets('copies/c')).toBe(2);
      await again.release();
      await inUse.release();
      // What it stores itself counts against the same budget: the least recently used copies make room.
      await cached.put('copies/f', Buffer.alloc(200, 'f'));
      expect(existsSync(inUse.path)).toBe(false);
      expect(existsSync(again.path)).toBe(false);
      expect((await readAll(await cached.get('copies/f'))).toString()).toBe('f'.repeat(200));
      expect(gets('copies/f')).toBe(0);
    });

    it('reads from S3 when its copies went (a temporary-files cleaner), and keeps working', async () => {
      const spoolDir = mkdtempSync(path.join(os.tmpdir(), 'huskit-s3-test-spool-'));
      try {
        const cached = new S3ObjectStore({ ...server.connection, bucket: 'wire' }, { retry: FAST_RETRY, spoolDir });
        await cached.put('copies/cleaned', [Buffer.from('kept in '), Buffer.from('S3')]);
        for (const name of readdirSync(spoolDir)) rmSync(path.join(spoolDir, name));
        // A range is asked of S3 as a range: the whole object is not fetched for it.
        expect((await readAll(await cached.get('copies/cleaned', { start: 0, end: 6 }))).toString()).toBe('kept in');
        expect(server.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/wire/copies/cleaned')).map((r) => r.range)).toEqual(['bytes=0-6']);
        expect((await readAll(await cached.get('copies/cleaned'))).toString()).toBe('kept in S3');
        expect(gets('copies/cleaned')).toBe(2);
        // As a file too: downloaded again, then kept.
        for (const name of readdirSync(spoolDir)) rmSync(path.join(spoolDir, name));
        const file = await cached.local('copies/cleaned');
        expect(readFileSync(file.path, 'utf8')).toBe('kept in S3');
        await file.release();
        expect((await readAll(await cached.get('copies/cleaned', { start: 8, end: 9 }))).toString()).toBe('S3');
        expect(gets('copies/cleaned')).toBe(3);
      } finally {
        rmSync(spoolDir, { recursive: true, force: true });
      }
    });

    it('forgets a deleted object: its copy goes once let go of, and it is not found again', async () => {
      const cached = new S3ObjectStore({ ...server.connection, bucket: 'wire' }, { retry: FAST_RETRY });
      await cached.put('copies/e', Buffer.from('pack e'));
      const copy = await cached.local('copies/e');
      await cached.delete('copies/e');
      // Still readable by whoever holds it…
      expect(readFileSync(copy.path, 'utf8')).toBe('pack e');
      await copy.release();
      // …then removed, and the object is gone.
      expect(existsSync(copy.path)).toBe(false);
      await expect(cached.local('copies/e')).rejects.toBeInstanceOf(ObjectNotFound);
    });
  });

  it('tells a missing bucket from a missing object', async () => {
    const elsewhere = new S3ObjectStore({ ...server.connection, bucket: 'no-such-bucket' }, { retry: FAST_RETRY });
    const error = await elsewhere.get('x').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ObjectNotFound);
    expect(error).toMatchObject({ status: 404, code: 'NoSuchBucket' });
  });
});

/** An endpoint that answers from a script, one step per request, recording each request's URL. */
async function scriptedEndpoint(steps: ((req: IncomingMessage, res: ServerResponse) => void)[], retry: { timeoutMs?: number } = {}) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const step = steps[Math.min(seen.length, steps.length) - 1]!;
    req.resume().on('end', () => step(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = new S3ObjectStore(
    { endpoint, region: 'auto', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'scripted-secret', bucket: 'b' },
    { retry: { ...FAST_RETRY, ...retry } },
  );
  return { store, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const answer =
  (status: number, body = '', headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers }).end(body);
  };
const s3Error = (status: number, code: string) =>
  answer(status, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>try later</Message></Error>`);

describe('S3 store against a scripted endpoint', () => {
  it('lists across continuation tokens, unescaping keys', async () => {
    const page = (keys: string[], next?: string) =>
      answer(
        200,
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${keys.map((k) => `<Contents><Key>${k}</Key><Size>1</Size></Contents>`).join('')}${next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''}</ListBucketResult>`,
      );
    const endpoint = await scriptedEndpoint([page(['parts/a&amp;b', 'parts/c&#x27;d'], '1/+token=&amp;'), page(['parts/e'])]);
    try {
      const keys: string[] = [];
      for await (const key of endpoint.store.list('parts/')) keys.push(key);
      expect(keys).toEqual(['parts/a&b', "parts/c'd", 'parts/e']);
      expect(endpoint.seen).toEqual(['GET /b?list-type=2&prefix=parts%2F', 'GET /b?list-type=2&prefix=parts%2F&continuation-token=1%2F%2Btoken%3D%26']);
    } finally {
      await endpoint.close();
    }
  });

  it('retries 5xx and 429, then succeeds', async () => {
    const endpoint = await scriptedEndpoint([s3Error(503, 'SlowDown'), s3Error(429, 'TooManyRequests'), answer(200, '', { 'content-length': '42' })]);
    try {
      expect(await endpoint.store.size('blobs/x')).toBe(42);
      expect(endpoint.seen).toHaveLength(3);
    } finally {
      await endpoint.close();
    }
  });

  it('gives up after a few attempts, naming the call, the status and the Code', async () => {
    const endpoint = await scriptedEndpoint([s3Error(503, 'SlowDown')]);
    try {
      const error = await endpoint.store.put('blobs/x', Buffer.from('bytes')).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'S3Error', status: 503, code: 'SlowDown' });
      expect((error as Error).message).toBe('Object storage PUT blobs/x failed: HTTP 503 SlowDown (try later)');
      expect((error as Error).message).not.toContain('scripted-secret');
      expect(endpoint.seen).toHaveLength(4);
    } finally {
      await endpoint.close();
    }
  });

  it('does not retry a refusal', async () => {
    const endpoint = await scriptedEndpoint([s3Error(403, 'AccessDenied')]);
    try {
      await expect(endpoint.store.delete('blobs/x')).rejects.toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(endpoint.seen).toHaveLength(1);
    } finally {
      await endpoint.close();
    }
  });

  it('retries an answer that was lost (connection cut), resending the body', async () => {
    const cut = (req: IncomingMessage) => req.socket.destroy();
    const endpoint = await scriptedEndpoint([cut, answer(200)]);
    try {
      expect(await endpoint.store.put('blobs/x', Buffer.from('bytes'))).toBe(5);
      expect(endpoint.seen).toEqual(['PUT /b/blobs/x', 'PUT /b/blobs/x']);
    } finally {
      await endpoint.close();
    }
  });

  it('fails a read whose body stops coming, and the next read of that object asks again', async () => {
    let stalled: ServerResponse | undefined;
    const stall = (_req: IncomingMessage, res: ServerResponse) => {
      // The headers and a few bytes, then silence (a connection lost without a reset).
      res.writeHead(200, { 'content-length': '1000' }).write(Buffer.alloc(10));
      stalled = res;
    };
    const endpoint = await scriptedEndpoint([stall, answer(200, 'x'.repeat(1000))], { timeoutMs: 300 });
    try {
      await expect(endpoint.store.local('packs/a')).rejects.toThrow(/the answer stopped for 300 ms/);
      const copy = await endpoint.store.local('packs/a');
      expect(readFileSync(copy.path, 'utf8')).toBe('x'.repeat(1000));
      await copy.release();
      expect(endpoint.seen).toEqual(['GET /b/packs/a', 'GET /b/packs/a']);
    } finally {
      stalled?.destroy();
      await endpoint.close();
    }
  });

  it('says there was no answer when the endpoint is down', async () => {
    const endpoint = await scriptedEndpoint([answer(200)]);
    await endpoint.close();
    await expect(endpoint.store.size('blobs/x')).rejects.toThrow(/^Object storage HEAD blobs\/x failed: no answer \(.*ECONNREFUSED/);
  });
});
