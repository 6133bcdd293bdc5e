'use client';
// API keys: create one (shown once), see the ones that exist, revoke one.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/react';

export function ApiKeys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });

  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: (key) => {
        setCreated({ name: key.name, key: key.key });
        setName('');
        void refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: () => void refresh() }));
  const nameError = create.error?.data?.fieldErrors?.name?.[0] ?? create.error?.message;

  return (
    <section aria-labelledby="api-keys-heading" className="rounded-lg border border-neutral-200 bg-white p-5 dark:border-neutral-800 dark:bg-neutral-900">
      <h2 id="api-keys-heading" className="text-base font-medium">
        API keys
      </h2>
      <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400">
        For scripts and integrations: send <code className="font-mono text-xs">Authorization: Bearer hs_…</code> to the REST API.
      </p>

      <form
        className="mt-4 flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name });
        }}
      >
        <div className="space-y-1.5">
          <label htmlFor="api-key-name" className="block text-sm font-medium">
            Key name
          </label>
          <input
            id="api-key-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. CI pipeline"
            aria-invalid={create.isError || undefined}
            className="w-64 rounded-md border border-neutral-300 bg-white px-3 py-2 text-sm focus-visible:outline-2 focus-visible:outline-accent dark:border-neutral-700 dark:bg-neutral-950"
          />
        </div>
        <button
          type="submit"
          disabled={create.isPending}
          className="rounded-md bg-accent px-4 py-2 text-sm font-medium text-white hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
        >
          Create key
        </button>
        {create.isError && (
          <p role="alert" className="basis-full text-sm text-red-700 dark:text-red-400">
            {nameError}
          </p>
        )}
      </form>

      {created && (
        <div role="status" className="mt-4 rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm dark:border-emerald-900 dark:bg-emerald-950">
          <p className="font-medium">Copy “{created.name}” now: it will not be shown again.</p>
          <div className="mt-2 flex items-center gap-2">
            <code data-testid="new-api-key" className="flex-1 overflow-x-auto rounded bg-white px-2 py-1 font-mono text-xs dark:bg-neutral-900">
              {created.key}
            </code>
            <button
              type="button"
              onClick={() => void navigator.clipboard?.writeText(created.key)}
              className="rounded-md border border-neutral-300 px-2 py-1 text-xs hover:bg-white dark:border-neutral-700"
            >
              Copy
            </button>
          </div>
        </div>
      )}

      <ul className="mt-5 divide-y divide-neutral-200 dark:divide-neutral-800" aria-label="Your API keys">
        {keys.data?.length === 0 && <li className="py-3 text-sm text-neutral-500">No API keys yet.</li>}
        {keys.data?.map((key) => (
          <li key={key.id} className="flex items-center gap-4 py-3 text-sm">
            <span className="font-medium">{key.name}</span>
            <code className="font-mono text-xs text-neutral-500">{key.prefix}…</code>
            <span className="text-neutral-500 tabular-nums">
              {key.lastUsedAt ? `last used ${key.lastUsedAt.toLocaleString()}` : 'never used'}
            </span>
            <button
              type="button"
              className="ml-auto rounded-md px-2 py-1 text-red-700 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-red-600 dark:text-red-400 dark:hover:bg-red-950"
              onClick={() => {
                if (window.confirm(`Revoke the key “${key.name}” (${key.prefix}…)? Scripts using it will stop working.`))
                  revoke.mutate({ id: key.id });
              }}
            >
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
