// Accounts: sign up, sign in and change the password with email + password. Every attempt passes the
// throttle before any key derivation runs. The role is the database's `users.role` alone: signing up
// grants nothing, whatever the address (admins are granted by src/server/admin/roles.ts).
import { eq } from 'drizzle-orm';
import type { ChangePasswordInput, SignInInput, SignUpInput, UserRole } from '@/lib/account';
import { AppError } from '../errors';
import { recordAudit } from '../audit';
import { users } from '../db/schema';
import type { Db } from '../db/client';
import { DUMMY_PASSWORD_HASH, hashPassword, needsRehash, verifyPassword } from './passwords';
import { endAllSessions } from './session';
import { throttleAuthAttempt } from './throttle';

export interface SessionUser {
  id: string;
  email: string;
  role: UserRole;
}

/** Where an attempt comes from, for the per-IP throttle (null: unknown, per-account only). */
export interface AttemptSource {
  ip: string | null;
}

const toSessionUser = (row: typeof users.$inferSelect): SessionUser => ({ id: row.id, email: row.email, role: row.role });

const EMAIL_TAKEN = 'An account with this email already exists. Sign in instead.';

export async function signUp(db: Db, input: SignUpInput, from: AttemptSource = { ip: null }): Promise<SessionUser> {
  await throttleAuthAttempt(db, 'sign-up', { email: input.email, ip: from.ip });
  // A taken email is answered before hashing (the answer says so anyway): a flood of them costs no scrypt.
  const [taken] = await db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).limit(1);
  if (taken) throw new AppError('CONFLICT', EMAIL_TAKEN, { email: [EMAIL_TAKEN] });
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

/**
 * Unknown email and wrong password take the same work and give the same answer. A hash made with
 * weaker parameters than today's is replaced once the password is proven.
 */
export async function signIn(db: Db, input: SignInInput, from: AttemptSource): Promise<SessionUser> {
  await throttleAuthAttempt(db, 'sign-in', { email: input.email, ip: from.ip });
  const [row] = await db.select().from(users).where(eq(users.email, input.email)).limit(1);
  const ok = await verifyPassword(input.password, row?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!row || !ok) throw new AppError('UNAUTHORIZED', WRONG_CREDENTIALS);
  if (needsRehash(row.passwordHash)) {
    await db
      .update(users)
      .set({ passwordHash: await hashPassword(input.password), updatedAt: new Date() })
      .where(eq(users.id, row.id));
  }
  return toSessionUser(row);
}

const WRONG_CURRENT = 'Your current password is not right. Enter it again.';

/**
 * Sets a new password after checking the current one (throttled like a sign-in), and ends every other
 * session of the user: whoever else was signed in must sign in again. `keepSessionId` stays open.
 */
export async function changePassword(
  db: Db,
  user: SessionUser,
  input: ChangePasswordInput,
  keepSessionId: string | null,
  from: AttemptSource,
): Promise<{ endedSessions: number }> {
  await throttleAuthAttempt(db, 'sign-in', { email: user.email, ip: from.ip });
  const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, user.id)).limit(1);
  if (!row || !(await verifyPassword(input.currentPassword, row.passwordHash)))
    throw new AppError('BAD_REQUEST', WRONG_CURRENT, { currentPassword: [WRONG_CURRENT] });
  const passwordHash = await hashPassword(input.newPassword);
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, user.id));
    const endedSessions = await endAllSessions(tx, user.id, keepSessionId);
    await recordAudit(tx, { userId: user.id, action: 'account.password_change', detail: { endedSessions } });
    return { endedSessions };
  });
}

/** Signs the user out of every browser: all their sessions end, this one too. */
export async function signOutEverywhere(db: Db, userId: string): Promise<{ endedSessions: number }> {
  return db.transaction(async (tx) => {
    const endedSessions = await endAllSessions(tx, userId);
    await recordAudit(tx, { userId, action: 'account.sign_out_everywhere', detail: { endedSessions } });
    return { endedSessions };
  });
}

export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === '23505') return true;
  }
  return false;
}
