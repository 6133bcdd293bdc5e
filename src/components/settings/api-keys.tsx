'use client';
// API keys: create one with its scopes and expiry (shown once), see the ones that exist (scopes,
// expiry, last use), revoke one. A key only ever deploys and reads status; the rest needs a session.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { API_KEY_EXPIRY_DAYS, API_KEY_SCOPES, API_KEY_SCOPE_INFO, type ApiKeyExpiryDays, type ApiKeyScope } from '@/lib/api-key-scopes';
import { useTRPC } from '@/trpc/react';

const expiryLabel = (days: ApiKeyExpiryDays) => (days === null ? 'Never' : `${days} days`);
const date = (d: Date) => d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

export function ApiKeys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  // Expiry as of when the list was fetched (render stays pure; the list is fetched again on changes).
  const listedAt = keys.dataUpdatedAt;
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiKeyScope[]>([...API_KEY_SCOPES]);
  const [expiresInDays, setExpiresInDays] = useState<ApiKeyExpiryDays>(90);
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
  const fieldErrors = create.error?.data?.fieldErrors;
  const nameError = fieldErrors?.name?.[0];
  const scopesError = fieldErrors?.scopes?.[0];
  const otherError = create.isError && !nameError && !scopesError ? create.error.message : undefined;
  const toggle = (scope: ApiKeyScope, on: boolean) => setScopes((s) => (on ? [...new Set([...s, scope])] : s.filter((x) => x !== scope)));

  return (
    <section aria-labelledby="api-keys-heading" className="rounded-lg border border-neutral-200 bg-white p-5 dark:border-neutral-800 dark:bg-neutral-900">
      <h2 id="api-keys-heading" className="text-base font-medium">
        API keys
      </h2>
      <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400">
        For scripts and integrations: send <code className="font-mono text-xs">Authorization: Bearer hs_…</code> to the REST API. A key can deploy and read
        status only; keys, connections and your password are managed here, signed in.
      </p>

      <form
        className="mt-4 flex flex-wrap items-end gap-x-6 gap-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name, scopes, expiresInDays });
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
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? 'api-key-name-error' : undefined}
            className="w-64 rounded-md border border-neutral-300 bg-white px-3 py-2 text-sm focus-visible:outline-2 focus-visible:outline-accent aria-invalid:border-red-500 dark:border-neutral-700 dark:bg-neutral-950"
          />
        </div>
        <fieldset className="space-y-1.5" aria-describedby={scopesError ? 'api-key-scopes-error' : undefined}>
          <legend className="text-sm font-medium">What the key may do</legend>
          <div className="flex flex-wrap gap-4 py-2">
            {API_KEY_SCOPES.map((scope) => (
              <label key={scope} className="inline-flex items-center gap-2 text-sm" title={API_KEY_SCOPE_INFO[scope].description}>
                <input type="checkbox" checked={scopes.includes(scope)} onChange={(e) => toggle(scope, e.target.checked)} className="accent-accent" />
                {API_KEY_SCOPE_INFO[scope].label}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="space-y-1.5">
          <label htmlFor="api-key-expiry" className="block text-sm font-medium">
            Expires after
          </label>
          <select
            id="api-key-expiry"
            value={String(expiresInDays)}
            onChange={(e) => setExpiresInDays(e.target.value === 'null' ? null : (Number(e.target.value) as ApiKeyExpiryDays))}
            className="rounded-md border border-neutral-300 bg-white px-3 py-2 text-sm focus-visible:outline-2 focus-visible:outline-accent dark:border-neutral-700 dark:bg-neutral-950"
          >
            {API_KEY_EXPIRY_DAYS.map((d) => (
              <option key={String(d)} value={String(d)}>
                {expiryLabel(d)}
              </option>
            ))}
          </select>
        </div>
        <button
          type="submit"
          disabled={create.isPending}
          className="rounded-md bg-accent px-4 py-2 text-sm font-medium text-white hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
        >
          Create key
        </button>
        {(nameError || scopesError || otherError) && (
          <div role="alert" className="basis-full space-y-1 text-sm text-red-700 dark:text-red-400">
            {nameError && <p id="api-key-name-error">{nameError}</p>}
            {scopesError && <p id="api-key-scopes-error">{scopesError}</p>}
            {otherError && <p>{otherError}</p>}
          </div>
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
        {keys.data?.map((key) => {
          const expired = key.expiresAt !== null && key.expiresAt.getTime() <= listedAt;
          return (
            <li key={key.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 py-3 text-sm">
              <span className="font-medium">{key.name}</span>
              <code className="font-mono text-xs text-neutral-500">{key.prefix}…</code>
              <span className="flex gap-1" aria-label="Scopes">
                {key.scopes.map((s) => (
                  <span key={s} className="rounded bg-neutral-100 px-1.5 py-0.5 text-xs dark:bg-neutral-800">
                    {API_KEY_SCOPE_INFO[s].label}
                  </span>
                ))}
              </span>
              <span className={expired ? 'font-medium text-red-700 dark:text-red-400' : 'text-neutral-500'}>
                {key.expiresAt === null ? 'never expires' : expired ? `expired ${date(key.expiresAt)}` : `expires ${date(key.expiresAt)}`}
              </span>
              <span className="text-neutral-500 tabular-nums">{key.lastUsedAt ? `last used ${key.lastUsedAt.toLocaleString()}` : 'never used'}</span>
              <button
                type="button"
                className="ml-auto rounded-md px-2 py-1 text-red-700 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-red-600 dark:text-red-400 dark:hover:bg-red-950"
                onClick={() => {
                  if (window.confirm(`Revoke the key “${key.name}” (${key.prefix}…)? Scripts using it will stop working.`)) revoke.mutate({ id: key.id });
                }}
              >
                Revoke
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
