'use client';
// A connected account: what the platform told us about it (never the secret, only its masked hint),
// when it last passed a check, and the three things a person can do with it.
import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { platformInfo } from '@/lib/platforms';
import { useTRPC } from '@/trpc/react';
import type { Connection } from './connection-form';
import { RelativeTime } from './fields';

export function ConnectionCard({
  connection,
  onChanged,
  onRemoved,
  onReplace,
  announce,
  focusOnMount,
}: {
  connection: Connection;
  onChanged: (connection: Connection) => void;
  onRemoved: () => void;
  onReplace: () => void;
  announce: (message: string) => void;
  focusOnMount?: boolean;
}) {
  const trpc = useTRPC();
  const base = useId();
  const platform = connection.platform;
  const info = platformInfo(platform);
  const label = info.label;
  const [confirming, setConfirming] = useState(false);
  const [tested, setTested] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const disconnectRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (focusOnMount) headingRef.current?.focus();
  }, [focusOnMount]);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  const test = useMutation(
    trpc.connections.test.mutationOptions({
      onSuccess: (updated) => {
        setTested(true);
        onChanged(updated);
      },
    }),
  );
  const remove = useMutation(
    trpc.connections.remove.mutationOptions({
      onSuccess: () => {
        announce(`${label} disconnected. Huskit no longer holds these credentials.`);
        onRemoved();
      },
    }),
  );

  const titleId = `${base}-title`;
  return (
    <section aria-labelledby={titleId} className="rounded-lg border border-neutral-200 bg-white p-5 dark:border-neutral-800 dark:bg-neutral-900">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <h3
          id={titleId}
          ref={headingRef}
          tabIndex={-1}
          className="text-base font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent"
        >
          {label} connected
        </h3>
        <span className="inline-flex items-center gap-1.5 text-sm font-medium text-emerald-700 dark:text-emerald-400">
          <span className="size-2 rounded-full bg-emerald-500" aria-hidden="true" />
          {connection.verifiedAt ? (
            <span>
              verified <RelativeTime date={connection.verifiedAt} />
            </span>
          ) : (
            'saved'
          )}
        </span>
      </div>
      <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400">Deploys to “your own account” go here. Sites on your account do not expire.</p>

      <dl className="mt-4 grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[max-content_minmax(0,1fr)]">
        {info.accountRows(connection).map((fact) => (
          <div key={fact.label} className="contents">
            <dt className="text-neutral-500">{fact.label}</dt>
            <dd className={`break-all ${fact.mono ? 'font-mono text-[13px]' : ''}`}>{fact.value}</dd>
          </div>
        ))}
      </dl>

      <div className="mt-5 flex flex-wrap items-center gap-3">
        <button
          type="button"
          onClick={() => {
            setTested(false);
            test.mutate({ id: connection.id });
          }}
          disabled={test.isPending}
          className="rounded-md bg-accent px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
        >
          {test.isPending ? 'Testing…' : 'Test connection'}
        </button>
        <button
          type="button"
          onClick={onReplace}
          className="rounded-md border border-neutral-300 px-4 py-2 text-sm hover:bg-neutral-100 focus-visible:outline-2 focus-visible:outline-accent dark:border-neutral-700 dark:hover:bg-neutral-800"
        >
          Replace credentials
        </button>
        <button
          type="button"
          ref={disconnectRef}
          onClick={() => setConfirming(true)}
          aria-expanded={confirming}
          className="ml-auto rounded-md px-3 py-2 text-sm text-red-700 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-red-600 dark:text-red-400 dark:hover:bg-red-950"
        >
          Disconnect
        </button>
      </div>

      <div role="status" className="mt-3 text-sm empty:hidden">
        {test.isPending
          ? `Checking the connection with ${label}…`
          : tested && test.isSuccess
            ? `The connection works: ${label} accepted the credentials just now.`
            : ''}
      </div>
      {test.isError && (
        <div
          role="alert"
          className="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200"
        >
          <p className="font-medium">The connection did not pass the check. Replace the credentials to keep deploying to {label}.</p>
          <p className="mt-1 text-xs">{test.error.message}</p>
        </div>
      )}

      {confirming && (
        <div
          role="group"
          aria-labelledby={`${base}-confirm`}
          className="mt-4 rounded-md border border-red-300 bg-red-50 p-4 text-sm dark:border-red-900 dark:bg-red-950"
        >
          <p id={`${base}-confirm`} className="text-red-900 dark:text-red-100">
            Disconnect {info.accountName(connection)}? Huskit deletes the stored {info.secretName} {connection.secretHint} and can no longer deploy there. Sites
            already on that account stay online.
          </p>
          <div className="mt-3 flex flex-wrap gap-3">
            <button
              type="button"
              ref={confirmRef}
              disabled={remove.isPending}
              onClick={() => remove.mutate({ id: connection.id })}
              className="rounded-md bg-red-600 px-4 py-2 text-sm font-medium text-white hover:bg-red-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 disabled:opacity-60"
            >
              {remove.isPending ? 'Disconnecting…' : `Disconnect ${label}`}
            </button>
            <button
              type="button"
              onClick={() => {
                setConfirming(false);
                remove.reset();
                disconnectRef.current?.focus();
              }}
              className="rounded-md border border-neutral-300 bg-white px-4 py-2 text-sm hover:bg-neutral-100 focus-visible:outline-2 focus-visible:outline-accent dark:border-neutral-700 dark:bg-neutral-900 dark:hover:bg-neutral-800"
            >
              Keep it
            </button>
          </div>
          {remove.isError && (
            <p role="alert" className="mt-2 text-red-800 dark:text-red-200">
              {remove.error.message}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
