// Upload and completion tokens: real three-part HS256 JWTs with `exp`, as the real API issues them
// (clients decode the payload; the emulator checks signature, expiry, purpose and account).
import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { CloudflareError } from './envelope';

const secret = randomBytes(32);

export interface AssetTokenClaims {
  /** Upload session id. */
  sid: string;
  /** Account id. */
  acc: string;
  purpose: 'upload' | 'completion';
}

export function signAssetToken(claims: AssetTokenClaims, nowMs: number, ttlSeconds: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(secret);
}

export async function verifyAssetToken(token: string, purpose: AssetTokenClaims['purpose'], accountId: string, nowMs: number): Promise<AssetTokenClaims> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secret, { currentDate: new Date(nowMs), algorithms: ['HS256'] }));
  } catch (err) {
    const expired = (err as { code?: string }).code === 'ERR_JWT_EXPIRED';
    throw new CloudflareError(401, 10000, expired ? 'Expired JWT' : 'Invalid JWT');
  }
  if (payload.purpose !== purpose) throw new CloudflareError(401, 10000, `This JWT is not an assets ${purpose} token.`);
  if (payload.acc !== accountId) throw new CloudflareError(401, 10000, 'This JWT belongs to another account.');
  return payload as unknown as AssetTokenClaims;
}
