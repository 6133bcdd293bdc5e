// Preview tokens: `{expiresAt}.{HMAC(secret, preview:user:project:expiresAt)}`, bound to the project's
// owner and valid for about an hour. The editor asks for a fresh link before one runs out. Expiry
// moves in steps of a few minutes, so the link (and the frame) stays the same between refetches.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { projects } from '../db/schema';
import { getEnv } from '../env';
import { PREVIEW_PATH_PREFIX } from './host';

export const PREVIEW_TOKEN_TTL_MS = 60 * 60_000;
const STEP_MS = 5 * 60_000;
/** Tolerated clock difference between the server that minted a token and the one checking it. */
const SKEW_MS = 60_000;
const TOKEN = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface PreviewLink {
  /** Absolute, on the preview origin; ends with `/` (append a file path). */
  url: string;
  expiresAt: Date;
}

function mac(secret: string, userId: string, projectId: string, expiresAt: number): string {
  return createHmac('sha256', secret).update(`preview:${userId}:${projectId}:${expiresAt}`).digest('base64url');
}

/** The newest session secret signs; every secret in the rotation list verifies. */
const signingSecret = () => Object.values(getEnv().sessionPasswords).at(-1)!;

export function mintPreviewToken(userId: string, projectId: string, expiresAt: number): string {
  return `${expiresAt}.${mac(signingSecret(), userId, projectId, expiresAt)}`;
}

/** The editor's preview link for a project its caller owns, or null while previews are off. */
export function previewLink(userId: string, projectId: string, now = Date.now()): PreviewLink | null {
  const origin = getEnv().previewOrigin;
  if (!origin) return null;
  const expiresAt = Math.floor(now / STEP_MS) * STEP_MS + PREVIEW_TOKEN_TTL_MS;
  return { url: `${origin}${PREVIEW_PATH_PREFIX}${projectId}/${mintPreviewToken(userId, projectId, expiresAt)}/`, expiresAt: new Date(expiresAt) };
}

/** True when the token is unexpired and was minted for this project's current owner. */
export async function verifyPreviewToken(db: Db, projectId: string, token: string, now = Date.now()): Promise<boolean> {
  const m = TOKEN.exec(token);
  if (!m || !UUID.test(projectId)) return false;
  const expiresAt = Number(m[1]);
  if (expiresAt <= now || expiresAt > now + PREVIEW_TOKEN_TTL_MS + SKEW_MS) return false;
  const [owner] = await db.select({ userId: projects.userId }).from(projects).where(eq(projects.id, projectId));
  if (!owner) return false;
  const given = Buffer.from(m[2]!);
  // Compared as text, not decoded bytes: base64url's last character carries unused bits.
  return Object.values(getEnv().sessionPasswords).some((secret) => timingSafeEqual(given, Buffer.from(mac(secret, owner.userId, projectId, expiresAt))));
}
