'use client';
// Change password: the current one proves it is you; the new one ends every other session (whoever
// else was signed in must sign in again), this browser stays signed in.
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { PASSWORD_MIN_LENGTH } from '@/lib/account';
import { useTRPC } from '@/trpc/react';

const inputClass =
  'block w-64 rounded-md border border-neutral-300 bg-white px-3 py-2 text-sm focus-visible:outline-2 focus-visible:outline-accent aria-invalid:border-red-500 dark:border-neutral-700 dark:bg-neutral-950';

export function PasswordForm() {
  const trpc = useTRPC();
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const change = useMutation(
    trpc.account.changePassword.mutationOptions({
      onSuccess: () => {
        setCurrent('');
        setNew('');
      },
    }),
  );
  const errors = change.error?.data?.fieldErrors;
  const currentError = errors?.currentPassword?.[0];
  const newError = errors?.newPassword?.[0];
  const otherError = change.isError && !currentError && !newError ? change.error.message : undefined;
  const ended = change.data?.endedSessions ?? 0;

  return (
    <section aria-labelledby="password-heading" className="rounded-lg border border-neutral-200 bg-white p-5 dark:border-neutral-800 dark:bg-neutral-900">
      <h2 id="password-heading" className="text-base font-medium">
        Password
      </h2>
      <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400">Changing it signs out every other browser; this one stays signed in.</p>
      <form
        className="mt-4 flex flex-wrap items-start gap-x-6 gap-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          change.mutate({ currentPassword, newPassword });
        }}
      >
        <div className="space-y-1.5">
          <label htmlFor="current-password" className="block text-sm font-medium">
            Current password
          </label>
          <input
            id="current-password"
            type="password"
            autoComplete="current-password"
            value={currentPassword}
            onChange={(e) => setCurrent(e.target.value)}
            aria-invalid={currentError ? true : undefined}
            aria-describedby={currentError ? 'current-password-error' : undefined}
            className={inputClass}
          />
          {currentError && (
            <p id="current-password-error" className="text-sm text-red-700 dark:text-red-400">
              {currentError}
            </p>
          )}
        </div>
        <div className="space-y-1.5">
          <label htmlFor="new-password" className="block text-sm font-medium">
            New password
          </label>
          <input
            id="new-password"
            type="password"
            autoComplete="new-password"
            value={newPassword}
            onChange={(e) => setNew(e.target.value)}
            aria-invalid={newError ? true : undefined}
            aria-describedby={newError ? 'new-password-hint new-password-error' : 'new-password-hint'}
            className={inputClass}
          />
          <p id="new-password-hint" className="text-xs text-neutral-500">
            At least {PASSWORD_MIN_LENGTH} characters.
          </p>
          {newError && (
            <p id="new-password-error" className="text-sm text-red-700 dark:text-red-400">
              {newError}
            </p>
          )}
        </div>
        <button
          type="submit"
          disabled={change.isPending}
          className="mt-7 rounded-md bg-accent px-4 py-2 text-sm font-medium text-white hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
        >
          {change.isPending ? 'Changing…' : 'Change password'}
        </button>
      </form>
      <div aria-live="polite" className="empty:hidden">
        {change.isSuccess && (
          <p role="status" className="mt-4 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm dark:border-emerald-900 dark:bg-emerald-950">
            Password changed. {ended === 0 ? 'No other browser was signed in.' : `${ended} other ${ended === 1 ? 'session was' : 'sessions were'} signed out.`}
          </p>
        )}
      </div>
      {otherError && (
        <p role="alert" className="mt-4 text-sm text-red-700 dark:text-red-400">
          {otherError}
        </p>
      )}
    </section>
  );
}
