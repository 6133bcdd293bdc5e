import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fetchWithBody, MAX_ATTEMPT_TIMEOUT_MS, PlatformError, sendWithRetry, timeoutForBytes, type StreamBody } from './http';

const answer = (status: number, headers: Record<string, string> = {}) =>
  new Response(status === 200 ? 'ok' : `{"message":"status ${status}"}`, { status, headers });

describe('sending to a platform', () => {
  it('waits out a short Retry-After and tries again', async () => {
    const waits: number[] = [];
    let calls = 0;
    const res = await sendWithRetry({
      label: 'Test (call)',
      send: async () => (++calls === 1 ? answer(429, { 'retry-after': '2' }) : answer(200)),
      sleep: async (ms) => void waits.push(ms),
    });
    expect([res.status, calls, waits]).toEqual([200, 2, [2000]]);
  });

  it('does not wait out a limit that lifts in hours: one call, a quota error without a retry time', async () => {
    let calls = 0;
    const err = await sendWithRetry({
      label: 'Vercel (upload file)',
      send: async () => (calls++, answer(429, { 'retry-after': String(15 * 3600) })),
      sleep: async () => {},
    }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({
      kind: 'quota',
      retryAfterSeconds: undefined,
      message: 'Vercel (upload file) has reached a limit of the account: try again in 15 hours.',
    });
  });

  it("keeps a failed request's own words out of the log when they could quote a header", async () => {
    const token = 'Bearer secret-token\nwith-a-newline';
    const err = (await sendWithRetry({
      label: 'Netlify (read user)',
      policy: { attempts: 2 },
      send: async () => {
        throw new TypeError(`Headers.append: "${token}" is an invalid header value.`);
      },
      sleep: async () => {},
    }).catch((e: unknown) => e)) as PlatformError;
    expect(err.kind).toBe('unavailable');
    expect(`${err.message} ${err.platformMessage}`).not.toContain('secret-token');
    expect(err.platformMessage).toBe('TypeError');
  });

  it('a per-attempt timeout grows with the body: 30 s for nothing, +4 s per MB at 256 KiB/s, capped at 30 minutes', () => {
    expect(timeoutForBytes(0)).toBe(30_000);
    expect(timeoutForBytes(1024 * 1024)).toBe(34_000);
    // A 40 MB bucket gets 190 s, not the fixed 30 s.
    expect(timeoutForBytes(40 * 1024 * 1024)).toBe(190_000);
    expect(timeoutForBytes(5 * 1024 ** 3)).toBe(MAX_ATTEMPT_TIMEOUT_MS);
    expect(timeoutForBytes(-1)).toBe(30_000);
  });

  it("the base of a per-attempt timeout is the policy's timeout", () => {
    expect(timeoutForBytes(256 * 1024, 500)).toBe(1_500);
  });

  it('after an attempt without an answer, recover is asked first and its answer is used instead of a resend', async () => {
    let sends = 0;
    let recovers = 0;
    const res = await sendWithRetry({
      label: 'Netlify (create deploy)',
      send: async () => {
        sends++;
        throw new TypeError('fetch failed');
      },
      recover: async () => (recovers++, new Response('{"id":"found"}', { status: 200 })),
      sleep: async () => {},
    });
    expect([sends, recovers, await res.text()]).toEqual([1, 1, '{"id":"found"}']);
  });

  it('recover finding nothing lets the call be sent again; a 429 (refused before any work) is resent without asking', async () => {
    const seen: string[] = [];
    const res = await sendWithRetry({
      label: 'Test (create)',
      send: async ({ attempt }) => {
        seen.push(`send ${attempt}`);
        return attempt === 1 ? answer(502) : attempt === 2 ? answer(429, { 'retry-after': '0' }) : answer(200);
      },
      recover: async () => (seen.push('recover'), undefined),
      sleep: async () => {},
    });
    expect(res.status).toBe(200);
    expect(seen).toEqual(['send 1', 'recover', 'send 2', 'send 3']);
  });
});

describe('streamed bodies', () => {
  /** A server that refuses its first request at once (its body unread, as a 503 from a front door) and reads the others whole. */
  async function refusesFirst() {
    const received: { headers: http.IncomingHttpHeaders; bytes: Buffer }[] = [];
    let requests = 0;
    const server = http.createServer((req, res) => {
      if (++requests === 1) {
        res.writeHead(503, { 'content-length': '0', connection: 'close' }).end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, bytes: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received, close: () => new Promise((r) => server.close(r)) };
  }

  it('a retried upload opens its body again and sends every byte, with Content-Length and never chunked', async () => {
    const server = await refusesFirst();
    try {
      const bytes = randomBytes(3 * 1024 * 1024 + 7);
      const opened: Readable[] = [];
      // In 64 KiB pieces, as a store streams: nothing here is one buffer.
      const body: StreamBody = {
        length: bytes.length,
        open: () => {
          const pieces = [];
          for (let at = 0; at < bytes.length; at += 64 * 1024) pieces.push(bytes.subarray(at, at + 64 * 1024));
          const stream = Readable.from(pieces);
          opened.push(stream);
          return stream;
        },
      };
      const res = await sendWithRetry({
        label: 'Test (upload)',
        send: ({ signal }) => fetchWithBody(server.url, { method: 'PUT', signal }, body),
        sleep: async () => {},
      });
      expect([res.status, await res.json()]).toEqual([200, { ok: true }]);
      expect(opened).toHaveLength(2);
      // Each attempt's stream is let go of once its answer is in.
      expect(opened.every((s) => s.destroyed)).toBe(true);
      expect(server.received).toHaveLength(1);
      const [got] = server.received;
      expect(got!.headers['content-length']).toBe(String(bytes.length));
      expect(got!.headers['transfer-encoding']).toBeUndefined();
      expect(got!.bytes.equals(bytes)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
