// Password hashing with scrypt (node:crypto) at the OWASP parameters, a constant-time comparison, and
// a bound on how many derivations run at once in this process.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** OWASP Password Storage Cheat Sheet: N=2^17, r=8, p=1 (128 MiB and ~0.3 s a derivation). */
export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 64;
/** Node refuses more than 32 MiB by default; scrypt needs 128·N·r bytes, doubled for headroom. */
const maxmemFor = (N: number, r: number) => 128 * N * r * 2;
/** Stored parameters above this are refused rather than run (they would cost gigabytes). */
const MAX_N = 2 ** 20;

/**
 * Derivations that may run at once in this process. Each holds 128 MiB and a libuv thread (4 by
 * default, shared with file and DNS work): a flood of sign-ins queues here instead of exhausting
 * memory or starving the thread pool.
 */
export const MAX_CONCURRENT_DERIVATIONS = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function withDerivationSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_DERIVATIONS) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next waiter (running stays the same), or free it.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** How many derivations run and wait right now (for tests and diagnostics). */
export const derivationLoad = () => ({ running, waiting: waiting.length });

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  withDerivationSlot(
    () =>
      new Promise<Buffer>((resolve, reject) => scryptCb(password.normalize('NFKC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)))),
  );

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64: the parameters travel with the hash. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = SCRYPT_PARAMS;
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: maxmemFor(N, r) });
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

function parseHash(stored: string) {
  const [scheme, n, r, p, saltB64, hashB64] = stored.split('$');
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (scheme !== 'scrypt' || !saltB64 || !hashB64 || !Object.values(params).every(Number.isSafeInteger) || params.N > MAX_N) return null;
  return { ...params, salt: Buffer.from(saltB64, 'base64'), hash: Buffer.from(hashB64, 'base64') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const { N, r, p, salt, hash } = parsed;
  const actual = await scrypt(password, salt, hash.length, { N, r, p, maxmem: maxmemFor(N, r) });
  return actual.length === hash.length && timingSafeEqual(actual, hash);
}

/** True when a stored hash was made with weaker parameters than today's: re-hash it at sign-in. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  return parsed.N < SCRYPT_PARAMS.N || parsed.r < SCRYPT_PARAMS.r || parsed.p < SCRYPT_PARAMS.p || parsed.hash.length < KEY_LENGTH;
}

/**
 * A real scrypt hash (today's parameters) of a random password that was thrown away. Checked when the
 * email is unknown, so an unknown email costs the same key derivation as a wrong password.
 */
export const DUMMY_PASSWORD_HASH =
  'scrypt$131072$8$1$t/W7XHXetZXB2Qb/d+h4/g==$qT7zPmiFvSOPizN/xxnAkt8mfcfXlZdX3TL1BCr7EHaa5NWnO6MQVXYQFZ4f+Z19W+igQOLyrOkXOn6gsQyArg==';
