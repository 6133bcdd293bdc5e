// The sign-in / sign-up throttle on a real database: exact under concurrency, per key, pruned.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authAttempts } from '@/server/db/schema';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { AUTH_LIMITS, ThrottledError, clientIp, countAuthAttempts, pruneAuthAttempts, throttleAuthAttempt } from './throttle';

const getDb = useTestDb();
const freshIp = () => `10.${[...randomBytes(3)].join('.')}`;
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof ThrottledError ? 'throttled' : `error: ${String(e)}`),
  );

describe('throttleAuthAttempt', () => {
  it('lets exactly the limit through when 20 attempts on one account arrive at once, and records only those', async () => {
    const db = await getDb();
    const email = uniqueEmail('burst');
    const results = await Promise.all(Array.from({ length: 20 }, () => outcome(throttleAuthAttempt(db, 'sign-in', { email, ip: null }))));
    const limit = AUTH_LIMITS['sign-in'].perAccount.limit;
    expect(results.filter((r) => r === 'ok')).toHaveLength(limit);
    expect(results.filter((r) => r === 'throttled')).toHaveLength(20 - limit);
    expect(await countAuthAttempts(db, `sign-in:account:${email}`)).toBe(limit);
  });

  it('is exact per IP under concurrency too, across many accounts, and answers 429 with a wait inside the window', async () => {
    const db = await getDb();
    const ip = freshIp();
    const limit = AUTH_LIMITS['sign-in'].perIp.limit;
    const results = await Promise.all(Array.from({ length: limit + 8 }, () => outcome(throttleAuthAttempt(db, 'sign-in', { email: uniqueEmail('ip'), ip }))));
    expect(results.filter((r) => r === 'ok')).toHaveLength(limit);
    const err = await throttleAuthAttempt(db, 'sign-in', { email: uniqueEmail('ip'), ip }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledError);
    const throttled = err as ThrottledError;
    expect(throttled.status).toBe(429);
    expect(throttled.retryAfterSeconds).toBeGreaterThan(0);
    expect(throttled.retryAfterSeconds).toBeLessThanOrEqual(AUTH_LIMITS['sign-in'].perIp.seconds);
    expect(throttled.message).toMatch(/^Too many sign-in attempts\. Try again in \d+ minutes?\.$/);
  });

  it('keeps sign-in and sign-up windows apart, and one account apart from another', async () => {
    const db = await getDb();
    const email = uniqueEmail('apart');
    for (let i = 0; i < AUTH_LIMITS['sign-up'].perAccount.limit; i++) await throttleAuthAttempt(db, 'sign-up', { email, ip: null });
    expect(await outcome(throttleAuthAttempt(db, 'sign-up', { email, ip: null }))).toBe('throttled');
    expect(await outcome(throttleAuthAttempt(db, 'sign-in', { email, ip: null }))).toBe('ok');
    expect(await outcome(throttleAuthAttempt(db, 'sign-up', { email: uniqueEmail('apart'), ip: null }))).toBe('ok');
  });

  it('keys the account by the normalized email, so letter case and spaces do not buy more attempts', async () => {
    const db = await getDb();
    const email = uniqueEmail('case');
    for (let i = 0; i < AUTH_LIMITS['sign-in'].perAccount.limit; i++)
      await throttleAuthAttempt(db, 'sign-in', { email: i % 2 ? email.toUpperCase() : ` ${email} `, ip: null });
    expect(await outcome(throttleAuthAttempt(db, 'sign-in', { email, ip: null }))).toBe('throttled');
  });

  it('forgets attempts that left the window: an old burst does not count, and pruneAuthAttempts deletes it', async () => {
    const db = await getDb();
    const email = uniqueEmail('old');
    const key = `sign-in:account:${email}`;
    const longAgo = new Date(Date.now() - (AUTH_LIMITS['sign-in'].perAccount.seconds + 60) * 1000);
    await db.insert(authAttempts).values(Array.from({ length: 50 }, () => ({ key, createdAt: longAgo })));
    expect(await outcome(throttleAuthAttempt(db, 'sign-in', { email, ip: null }))).toBe('ok');

    const pruned = await pruneAuthAttempts(db, new Date(Date.now() - AUTH_LIMITS['sign-in'].perAccount.seconds * 1000));
    expect(pruned).toBeGreaterThanOrEqual(50);
    expect(await countAuthAttempts(db, key)).toBe(1); // the fresh one stays
  });
});

describe('clientIp', () => {
  const ip = (xff?: string) => clientIp(new Headers(xff === undefined ? {} : { 'x-forwarded-for': xff }));

  it('trusts only the last X-Forwarded-For hop (the one our proxy wrote), never what the client put first', () => {
    expect(ip('203.0.113.7')).toBe('203.0.113.7');
    expect(ip('1.2.3.4, 198.51.100.9')).toBe('198.51.100.9');
    expect(ip('1.2.3.4,   198.51.100.9  ')).toBe('198.51.100.9');
    expect(ip('::ffff:198.51.100.9')).toBe('198.51.100.9');
  });

  it('counts IPv6 clients per /64 (one subscriber), however the address is written', () => {
    expect(ip('2001:db8:aa:bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
    expect(ip('2001:DB8:AA:BB::99')).toBe('2001:db8:aa:bb::/64');
    expect(ip('[2001:db8:aa:bb::1]')).toBe('2001:db8:aa:bb::/64');
    expect(ip('2001:db8:aa:bc::1')).not.toBe(ip('2001:db8:aa:bb::1'));
  });

  it('answers null for loopback, garbage and a missing header: only the per-account window applies then', () => {
    for (const v of [undefined, '', '127.0.0.1', '::1', '::ffff:127.0.0.1', 'not an ip', '1.2.3.4, unknown', '999.1.1.1', '1:2:3']) expect(ip(v)).toBeNull();
  });
});
