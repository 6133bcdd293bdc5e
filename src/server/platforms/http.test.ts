import { describe, expect, it } from 'vitest';
import { PlatformError, sendWithRetry } from './http';

const answer = (status: number, headers: Record<string, string> = {}) => new Response(status === 200 ? 'ok' : `{"message":"status ${status}"}`, { status, headers });

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
    const err = await sendWithRetry({ label: 'Vercel (upload file)', send: async () => (calls++, answer(429, { 'retry-after': String(15 * 3600) })), sleep: async () => {} }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ kind: 'quota', retryAfterSeconds: undefined, message: 'Vercel (upload file) has reached a limit of the account: try again in 15 hours.' });
  });

  it('keeps a failed request\'s own words out of the log when they could quote a header', async () => {
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
});
