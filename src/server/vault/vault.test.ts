import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret, secretHint, VaultError } from './index';

const k1 = { id: 'k1', key: Buffer.alloc(32, 1) };
const k2 = { id: 'k2', key: Buffer.alloc(32, 2) };
const SECRET = 'cf-token-AbCdEf0123456789';

describe('vault', () => {
  it('round-trips a secret and never stores it in the clear', () => {
    const sealed = sealSecret(SECRET, 'connection:u1:cloudflare', [k1]);
    expect(sealed.keyId).toBe('k1');
    expect(sealed.envelope.startsWith('v1.k1.')).toBe(true);
    expect(sealed.envelope).not.toContain(SECRET);
    expect(sealed.envelope).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(openSecret(sealed.envelope, 'connection:u1:cloudflare', [k1])).toEqual({ plaintext: SECRET });
  });

  it('uses a fresh nonce for every seal', () => {
    const a = sealSecret(SECRET, 'ctx', [k1]).envelope;
    const b = sealSecret(SECRET, 'ctx', [k1]).envelope;
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it('opens secrets sealed with an older key and re-seals them with the newest', () => {
    const old = sealSecret(SECRET, 'ctx', [k1]);
    const opened = openSecret(old.envelope, 'ctx', [k2, k1]);
    expect(opened.plaintext).toBe(SECRET);
    expect(opened.resealed?.keyId).toBe('k2');
    // The re-sealed envelope opens with the new key alone: the old key can then be retired.
    expect(openSecret(opened.resealed!.envelope, 'ctx', [k2])).toEqual({ plaintext: SECRET });
    // Sealed with the newest key already: nothing to re-seal.
    expect(openSecret(opened.resealed!.envelope, 'ctx', [k2, k1]).resealed).toBeUndefined();
  });

  it('fails loudly on tampering, on another owner and on an unknown key', () => {
    const { envelope } = sealSecret(SECRET, 'connection:u1:cloudflare', [k1]);
    const parts = envelope.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0]! ^= 0x01;
    const tampered = [...parts.slice(0, 3), body.toString('base64url')].join('.');
    expect(() => openSecret(tampered, 'connection:u1:cloudflare', [k1])).toThrow(/integrity check/);
    expect(() => openSecret(envelope, 'connection:u2:cloudflare', [k1])).toThrow(VaultError);
    expect(() => openSecret(envelope, 'connection:u1:cloudflare', [k2])).toThrow(/key "k1", which is not in ENCRYPTION_KEYS/);
    expect(() => openSecret('plain-text-token', 'ctx', [k1])).toThrow(/not a vault envelope/);
    expect(() => openSecret(`${parts.slice(0, 3).join('.')}.AAAA`, 'connection:u1:cloudflare', [k1])).toThrow(/truncated/);
  });

  it('masks a secret to its last four characters', () => {
    expect(secretHint('abcdef9f3a')).toBe('…9f3a');
  });
});
