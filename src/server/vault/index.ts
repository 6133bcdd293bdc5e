// The secrets vault: platform credentials are sealed with AES-256-GCM before they touch the database.
// Each envelope names the key that sealed it, so ENCRYPTION_KEYS can hold several keys: the first
// seals, all open, and an envelope sealed with an older key is re-sealed when it is read.
// The associated data binds an envelope to its owner and purpose: a ciphertext copied to another
// row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { getEnv, type EncryptionKey } from '../env';

const VERSION = 'v1';

export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

export interface SealedSecret {
  /** `v1.<keyId>.<nonce>.<ciphertext+tag>` (base64url parts). */
  envelope: string;
  keyId: string;
}

export interface OpenedSecret {
  plaintext: string;
  /** Set when the envelope was sealed with an older key: store this instead. */
  resealed?: SealedSecret;
}

export function sealSecret(plaintext: string, context: string, keys: EncryptionKey[] = getEnv().encryptionKeys): SealedSecret {
  const key = keys[0];
  if (!key) throw new VaultError('No encryption key is configured (ENCRYPTION_KEYS).');
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { envelope: [VERSION, key.id, nonce.toString('base64url'), body.toString('base64url')].join('.'), keyId: key.id };
}

export function openSecret(envelope: string, context: string, keys: EncryptionKey[] = getEnv().encryptionKeys): OpenedSecret {
  const [version, keyId, nonceB64, bodyB64, extra] = envelope.split('.');
  if (version !== VERSION || !keyId || !nonceB64 || !bodyB64 || extra !== undefined)
    throw new VaultError('The stored secret is not a vault envelope; it cannot be opened.');
  const key = keys.find((k) => k.id === keyId);
  if (!key) throw new VaultError(`The stored secret was sealed with key "${keyId}", which is not in ENCRYPTION_KEYS.`);
  const nonce = Buffer.from(nonceB64, 'base64url');
  const body = Buffer.from(bodyB64, 'base64url');
  if (nonce.length !== 12 || body.length < 16) throw new VaultError('The stored secret is truncated; it cannot be opened.');

  const decipher = createDecipheriv('aes-256-gcm', key.key, nonce);
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - 16));
  let plaintext: string;
  try {
    plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new VaultError('The stored secret failed its integrity check (tampered or bound to another owner).');
  }
  return keyId === keys[0]!.id ? { plaintext } : { plaintext, resealed: sealSecret(plaintext, context, keys) };
}

/** "…9f3a": enough for a person to recognise a credential, useless to anyone else. */
export function secretHint(secret: string): string {
  return `…${secret.slice(-4)}`;
}
