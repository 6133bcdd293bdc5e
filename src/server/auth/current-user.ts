// The signed-in user for Server Components and Server Actions (Next's cookie store).
import 'server-only';
import { cache } from 'react';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { getDb } from '../db/client';
import { readSessionUser } from './session';
import type { SessionUser } from './accounts';

export const getCurrentUser = cache(async (): Promise<SessionUser | null> => {
  const store = await cookies(); // first: it marks the page dynamic before anything touches the database
  return readSessionUser(await getDb(), store);
});

export async function requireUser(): Promise<SessionUser> {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  return user;
}
