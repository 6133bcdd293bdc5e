// Password hashing: today's scrypt cost, the upgrade of older hashes, and the bound on derivations.
import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DUMMY_PASSWORD_HASH, MAX_CONCURRENT_DERIVATIONS, SCRYPT_PARAMS, derivationLoad, hashPassword, needsRehash, verifyPassword } from './passwords';

const OLD_SALT = Buffer.from('0123456789abcdef');
const oldHash = (password: string, N = 16384) =>
  ['scrypt', N, 8, 1, OLD_SALT.toString('base64'), scryptSync(password, OLD_SALT, 64, { N, r: 8, p: 1, maxmem: 256 * N * 8 }).toString('base64')].join('$');

describe('passwords', () => {
  it('hashes at the OWASP parameters by default: N=2^17, r=8, p=1, a 16-byte salt and a 64-byte key', async () => {
    expect(SCRYPT_PARAMS).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    const stored = await hashPassword('a long enough password');
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', '131072', '8', '1']);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64')).toHaveLength(64);
    expect(await verifyPassword('a long enough password', stored)).toBe(true);
    expect(await verifyPassword('a long enough passworD', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });

  it('verifies a hash made with the older, cheaper parameters and marks it for re-hashing', async () => {
    const stored = oldHash('the old password');
    expect(await verifyPassword('the old password', stored)).toBe(true);
    expect(needsRehash(stored)).toBe(true);
    expect(needsRehash(oldHash('x', 2 ** 16))).toBe(true);
    expect(needsRehash('not a hash')).toBe(true);
  });

  it('has a dummy hash at today’s parameters, so an unknown email costs a full derivation', async () => {
    expect(DUMMY_PASSWORD_HASH.startsWith('scrypt$131072$8$1$')).toBe(true);
    expect(needsRehash(DUMMY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword('anything at all', DUMMY_PASSWORD_HASH)).toBe(false);
  });

  it('refuses malformed or absurdly expensive stored parameters instead of running them', async () => {
    for (const stored of ['', 'bcrypt$x', 'scrypt$abc$8$1$c2FsdA==$aGFzaA==', `scrypt$${2 ** 24}$8$1$c2FsdA==$aGFzaA==`])
      expect(await verifyPassword('pw', stored)).toBe(false);
  });

  it(`runs at most ${MAX_CONCURRENT_DERIVATIONS} derivations at once; the others queue and all finish`, async () => {
    expect(derivationLoad()).toEqual({ running: 0, waiting: 0 });
    const all = Promise.all(Array.from({ length: 6 }, (_, i) => hashPassword(`password number ${i}`)));
    // The slots are taken synchronously when each hash starts.
    expect(derivationLoad()).toEqual({ running: MAX_CONCURRENT_DERIVATIONS, waiting: 6 - MAX_CONCURRENT_DERIVATIONS });
    const hashes = await all;
    expect(new Set(hashes).size).toBe(6);
    expect(derivationLoad()).toEqual({ running: 0, waiting: 0 });
  });
});
