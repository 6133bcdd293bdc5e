// Accounts: sign up and sign in with email + password. Roles come from ADMIN_EMAILS, so promoting an
// operator is a configuration change, not a database edit.
import { eq } from 'drizzle-orm';
import type { SignInInput, SignUpInput, UserRole } from '@/lib/account';
import { getEnv } from '../env';
import { AppError } from '../errors';
import { recordAudit } from '../audit';
import { users } from '../db/schema';
import type { Db } from '../db/client';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './passwords';

export interface SessionUser {
  id: string;
  email: string;
  role: UserRole;
  sessionVersion: number;
}

export function roleForEmail(email: string): UserRole {
  return getEnv().adminEmails.has(email.toLowerCase()) ? 'admin' : 'user';
}

function toSessionUser(row: typeof users.$inferSelect): SessionUser {
  return { id: row.id, email: row.email, role: roleForEmail(row.email), sessionVersion: row.sessionVersion };
}

const EMAIL_TAKEN = 'An account with this email already exists. Sign in instead.';

export async function signUp(db: Db, input: SignUpInput): Promise<SessionUser> {
  const passwordHash = await hashPassword(input.password);
  try {
    const user = await db.transaction(async (tx) => {
      const [row] = await tx.insert(users).values({ email: input.email, passwordHash }).returning();
      await recordAudit(tx, { userId: row!.id, action: 'account.sign_up' });
      return row!;
    });
    return toSessionUser(user);
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('CONFLICT', EMAIL_TAKEN, { email: [EMAIL_TAKEN] });
    throw err;
  }
}

const WRONG_CREDENTIALS = 'The email or password is not right. Check both and try again.';

/** Unknown email and wrong password take the same work and give the same answer. */
export async function signIn(db: Db, input: SignInInput): Promise<SessionUser> {
  const [row] = await db.select().from(users).where(eq(users.email, input.email)).limit(1);
  const ok = await verifyPassword(input.password, row?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!row || !ok) throw new AppError('UNAUTHORIZED', WRONG_CREDENTIALS);
  return toSessionUser(row);
}

/** The user a session cookie names, if it still exists and the session was not revoked. */
export async function findSessionUser(db: Db, userId: string, sessionVersion: number): Promise<SessionUser | null> {
  const [row] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!row || row.sessionVersion !== sessionVersion) return null;
  return toSessionUser(row);
}

/** Signs the user out of every browser by invalidating all existing session cookies. */
export async function revokeAllSessions(db: Db, userId: string): Promise<void> {
  const [row] = await db.select({ v: users.sessionVersion }).from(users).where(eq(users.id, userId));
  if (row) await db.update(users).set({ sessionVersion: row.v + 1, updatedAt: new Date() }).where(eq(users.id, userId));
}

export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === '23505') return true;
  }
  return false;
}
