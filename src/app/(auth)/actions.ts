'use server';
// Sign-up, sign-in and sign-out forms post here; they work before JavaScript loads.
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { signInInput, signUpInput, type FieldErrors } from '@/lib/account';
import { signIn, signUp, type SessionUser } from '@/server/auth/accounts';
import { endSession, startSession } from '@/server/auth/session';
import { getDb, type Db } from '@/server/db/client';
import { AppError } from '@/server/errors';

export interface AuthFormState {
  message?: string;
  fieldErrors?: FieldErrors;
  email?: string;
}

async function runAuth<I>(
  schema: z.ZodType<I>,
  action: (db: Db, input: I) => Promise<SessionUser>,
  formData: FormData,
): Promise<AuthFormState> {
  const raw = { email: String(formData.get('email') ?? ''), password: String(formData.get('password') ?? '') };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return { fieldErrors: z.flattenError(parsed.error).fieldErrors, email: raw.email };
  }
  try {
    const user = await action(await getDb(), parsed.data);
    await startSession(await cookies(), user);
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

export async function signOutAction(): Promise<void> {
  await endSession(await cookies());
  redirect('/sign-in');
}
