'use server';
// Sign-up, sign-in and sign-out forms post here; they work before JavaScript loads. A post from another
// site (or from an opaque `Origin: null` context) is refused before anything runs and sets no cookie:
// no one can sign a visitor into an account of the attacker's choosing (login CSRF).
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { signInInput, signUpInput, type FieldErrors } from '@/lib/account';
import { signIn, signUp, type AttemptSource, type SessionUser } from '@/server/auth/accounts';
import { isCrossSiteRequest } from '@/server/auth/origin';
import { endSession, startSession } from '@/server/auth/session';
import { clientIp } from '@/server/auth/throttle';
import { getDb, type Db } from '@/server/db/client';
import { AppError } from '@/server/errors';

export interface AuthFormState {
  message?: string;
  fieldErrors?: FieldErrors;
  email?: string;
}

const CROSS_SITE = 'This form was sent from another site, so it was refused. Open Huskit Sites itself and try again.';

async function runAuth<I>(
  schema: z.ZodType<I>,
  action: (db: Db, input: I, from: AttemptSource) => Promise<SessionUser>,
  formData: FormData,
): Promise<AuthFormState> {
  const requestHeaders = await headers();
  if (isCrossSiteRequest(requestHeaders)) return { message: CROSS_SITE };
  const raw = { email: String(formData.get('email') ?? ''), password: String(formData.get('password') ?? '') };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return { fieldErrors: z.flattenError(parsed.error).fieldErrors, email: raw.email };
  }
  try {
    const db = await getDb();
    const user = await action(db, parsed.data, { ip: clientIp(requestHeaders) });
    await startSession(db, await cookies(), user, requestHeaders);
  } catch (err) {
    if (err instanceof AppError) return { message: err.message, fieldErrors: err.fieldErrors, email: raw.email };
    throw err;
  }
  redirect('/dashboard');
}

export async function signUpAction(_prev: AuthFormState, formData: FormData): Promise<AuthFormState> {
  return runAuth(signUpInput, signUp, formData);
}

export async function signInAction(_prev: AuthFormState, formData: FormData): Promise<AuthFormState> {
  return runAuth(signInInput, signIn, formData);
}

/** Ends the session on the server (its row is deleted) and clears the cookie. */
export async function signOutAction(): Promise<void> {
  // A cross-site post must not sign the visitor out either: nothing happens.
  if (isCrossSiteRequest(await headers())) return;
  await endSession(await getDb(), await cookies());
  redirect('/sign-in');
}
