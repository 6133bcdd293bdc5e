'use client';
// Who the admins are: grant the role to an account by its email, or take it away. The server refuses
// to remove the last admin, and audits every change.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/react';

export function AdminsList({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const admins = useQuery(trpc.admin.admins.queryOptions());
  const [email, setEmail] = useState('');
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.admins.queryKey() });
  const grant = useMutation(
    trpc.admin.grantAdmin.mutationOptions({
      onSuccess: () => {
        setEmail('');
        void refresh();
      },
    }),
  );
  // Taking the role from yourself ends your access to this page: reload into the 404.
  const revoke = useMutation(
    trpc.admin.revokeAdmin.mutationOptions({ onSuccess: (_r, v) => (v.userId === currentUserId ? window.location.reload() : void refresh()) }),
  );
  const grantError = grant.error?.data?.fieldErrors?.email?.[0] ?? grant.error?.message;

  return (
    <div className="space-y-4">
      <ul aria-label="Admins" className="divide-y divide-neutral-200 dark:divide-neutral-800">
        {admins.data?.map((a) => (
          <li key={a.id} className="flex items-center gap-3 py-2 text-sm">
            <span>{a.email}</span>
            {a.id === currentUserId && <span className="text-xs text-neutral-500">(you)</span>}
            <button
              type="button"
              disabled={revoke.isPending}
              onClick={() => {
                if (window.confirm(`Take the admin role from ${a.email}?`)) revoke.mutate({ userId: a.id });
              }}
              className="ml-auto rounded-md px-2 py-1 text-red-700 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-red-600 disabled:opacity-60 dark:text-red-400 dark:hover:bg-red-950"
            >
              Revoke
            </button>
          </li>
        ))}
      </ul>
      {revoke.isError && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {revoke.error.message}
        </p>
      )}
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          grant.mutate({ email });
        }}
      >
        <div className="space-y-1.5">
          <label htmlFor="grant-admin-email" className="block text-sm font-medium">
            Email of the account
          </label>
          <input
            id="grant-admin-email"
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            placeholder="someone@example.com"
            aria-invalid={grant.isError || undefined}
            className="w-72 rounded-md border border-neutral-300 bg-white px-3 py-2 text-sm focus-visible:outline-2 focus-visible:outline-accent aria-invalid:border-red-500 dark:border-neutral-700 dark:bg-neutral-950"
          />
        </div>
        <button
          type="submit"
          disabled={grant.isPending}
          className="rounded-md bg-accent px-4 py-2 text-sm font-medium text-white hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
        >
          Make admin
        </button>
        {grant.isError && (
          <p role="alert" className="basis-full text-sm text-red-700 dark:text-red-400">
            {grantError}
          </p>
        )}
        {grant.isSuccess && (
          <p role="status" className="basis-full text-sm text-emerald-700 dark:text-emerald-400">
            {grant.data.changed ? `${grant.data.email} is now an admin.` : `${grant.data.email} was already an admin.`}
          </p>
        )}
      </form>
    </div>
  );
}
