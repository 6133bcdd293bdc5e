// The sign-in / sign-up throttle: sliding windows in PostgreSQL (table auth_attempts), per client IP
// and per account, checked before any password is hashed. Under an advisory lock per key the attempts
// in the window are counted and the new one is refused or recorded, so the count is exact however
// many requests arrive at once, on any number of servers.
import { eq, lt, sql } from 'drizzle-orm';
import { isIP } from 'node:net';
import { authAttempts } from '../db/schema';
import { rowsOf, type Db } from '../db/client';
import { AppError } from '../errors';

export type ThrottledAction = 'sign-in' | 'sign-up';

interface Window {
  limit: number;
  seconds: number;
}

/**
 * The limits, in one place. Per account: the normalized email, whether or not an account has it, so
 * the answer never tells which emails exist. A password change counts as a sign-in (it checks the
 * current password), so a stolen session cannot guess faster than a sign-in form.
 */
export const AUTH_LIMITS: Record<ThrottledAction, { perAccount: Window; perIp: Window }> = {
  'sign-in': { perAccount: { limit: 10, seconds: 15 * 60 }, perIp: { limit: 30, seconds: 15 * 60 } },
  'sign-up': { perAccount: { limit: 5, seconds: 60 * 60 }, perIp: { limit: 10, seconds: 60 * 60 } },
};

const MESSAGE: Record<ThrottledAction, string> = {
  'sign-in': 'Too many sign-in attempts.',
  'sign-up': 'Too many accounts created from here.',
};

export class ThrottledError extends AppError {
  constructor(action: ThrottledAction, retryAfterSeconds: number) {
    const minutes = Math.ceil(retryAfterSeconds / 60);
    super('TOO_MANY_REQUESTS', `${MESSAGE[action]} Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`);
    this.withAction('wait', retryAfterSeconds);
  }
}

/**
 * Records one attempt of `action` for this account and IP, or throws ThrottledError (nothing
 * recorded) when either window is full. `ip` null: only the per-account window applies.
 */
export async function throttleAuthAttempt(db: Db, action: ThrottledAction, who: { email: string; ip: string | null }): Promise<void> {
  const limits = AUTH_LIMITS[action];
  const windows = [
    { key: `${action}:account:${who.email.trim().toLowerCase()}`, ...limits.perAccount },
    ...(who.ip ? [{ key: `${action}:ip:${who.ip}`, ...limits.perIp }] : []),
  ].sort((a, b) => a.key.localeCompare(b.key)); // one lock order everywhere: no deadlock between two requests

  await db.transaction(async (tx) => {
    for (const w of windows) await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`auth-throttle:${w.key}`}))`);
    let retryAfter = 0;
    for (const w of windows) {
      // The limit-th newest attempt in the window leaves it first: one more is allowed then.
      const result = await tx.execute(sql`
        select ceil(extract(epoch from (created_at + make_interval(secs => ${w.seconds}) - now())))::int as wait
        from ${authAttempts}
        where ${authAttempts.key} = ${w.key} and ${authAttempts.createdAt} > now() - make_interval(secs => ${w.seconds})
        order by ${authAttempts.createdAt} desc
        offset ${w.limit - 1} limit 1`);
      const row = rowsOf<{ wait: string | number }>(result)[0];
      if (row) retryAfter = Math.max(retryAfter, Math.max(1, Number(row.wait)));
    }
    if (retryAfter > 0) throw new ThrottledError(action, retryAfter);
    await tx.insert(authAttempts).values(windows.map((w) => ({ key: w.key })));
  });
}

/** Deletes attempts older than `olderThan` (the daily cleanup; every window is far shorter than a day). */
export async function pruneAuthAttempts(db: Db, olderThan: Date): Promise<number> {
  const deleted = await db.delete(authAttempts).where(lt(authAttempts.createdAt, olderThan)).returning({ id: authAttempts.id });
  return deleted.length;
}

/** How many attempts are recorded for a key (tests and diagnostics). */
export async function countAuthAttempts(db: Db, key: string): Promise<number> {
  return (await db.select({ id: authAttempts.id }).from(authAttempts).where(eq(authAttempts.key, key))).length;
}

/**
 * The client's address for the per-IP windows. Trusted: the LAST hop of X-Forwarded-For only, the one
 * written by the proxy in front of the app. A serverless host overwrites the header with the client's address;
 * nginx ($proxy_add_x_forwarded_for) and load balancers append it; `next start` sets it from the socket
 * when the request has none. Earlier hops are whatever the client sent and are ignored. (Facing the
 * internet with no proxy at all, a client can name its own address there: run behind one.)
 * IPv6 addresses count per /64, the block one subscriber gets. Loopback, unparsable or missing: null,
 * so only the per-account window applies rather than one bucket shared by every visitor.
 */
export function clientIp(headers: Headers): string | null {
  const hop =
    headers
      .get('x-forwarded-for')
      ?.split(',')
      .at(-1)
      ?.trim()
      .replace(/^\[|\]$/g, '') ?? '';
  const address = hop.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const family = isIP(address);
  if (family === 4) return address.startsWith('127.') ? null : address;
  if (family === 6) {
    const groups = expandIpv6(address);
    if (!groups || groups.every((g, i) => (i < 7 ? g === 0 : g === 1))) return null; // ::1
    return `${groups
      .slice(0, 4)
      .map((g) => g.toString(16))
      .join(':')}::/64`;
  }
  return null;
}

function expandIpv6(address: string): number[] | null {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  if (address.includes('.')) return null; // IPv4-embedded forms other than ::ffff: are not client addresses here
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}
