'use client';
// Sessions: how many browsers are signed in, and "Sign out everywhere" (this browser too).
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/react';

export function Sessions() {
  const trpc = useTRPC();
  const sessions = useQuery(trpc.account.sessions.queryOptions());
  // Every session ends, this one too: a full page load shows the sign-in page.
  const everywhere = useMutation(
    trpc.account.signOutEverywhere.mutationOptions({ onSuccess: () => window.location.assign(new URL('/sign-in', window.location.origin)) }),
  );
  const count = sessions.data?.count;

  return (
    <section aria-labelledby="sessions-heading" className="rounded-lg border border-neutral-200 bg-white p-5 dark:border-neutral-800 dark:bg-neutral-900">
      <h2 id="sessions-heading" className="text-base font-medium">
        Sessions
      </h2>
      <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400" data-testid="session-count">
        {count === undefined ? 'Counting your sessions…' : count === 1 ? 'You are signed in on this browser only.' : `You are signed in on ${count} browsers.`}
      </p>
      <button
        type="button"
        disabled={everywhere.isPending}
        onClick={() => {
          if (window.confirm('Sign out of every browser, this one too? You will need your password to sign in again.')) everywhere.mutate();
        }}
        className="mt-4 rounded-md border border-red-300 px-4 py-2 text-sm font-medium text-red-700 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-red-600 disabled:opacity-60 dark:border-red-900 dark:text-red-400 dark:hover:bg-red-950"
      >
        {everywhere.isPending ? 'Signing out…' : 'Sign out everywhere'}
      </button>
      {everywhere.isError && (
        <p role="alert" className="mt-3 text-sm text-red-700 dark:text-red-400">
          {everywhere.error.message}
        </p>
      )}
    </section>
  );
}
