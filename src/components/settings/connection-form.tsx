'use client';
// Connect a platform account: the server checks the credentials with the platform before it keeps
// them. Field errors appear under their fields, the platform's refusal beside the form. On success
// the inputs are emptied: a secret is never shown again once it is stored.
import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { z } from 'zod';
import { connectionInput } from '@/lib/connections';
import { platformInfo, type DeploymentPlatform } from '@/lib/platforms';
import { useTRPC, type RouterOutputs } from '@/trpc/react';
import { SelectField, TextField } from './fields';

export type Connection = RouterOutputs['connections']['list'][number];

/** The form of a platform, empty: each field at its initial value. */
const empty = (platform: DeploymentPlatform) => Object.fromEntries(platformInfo(platform).fields.map((f) => [f.name, f.initial ?? '']));

export function ConnectionForm({
  platform,
  replacing,
  onConnected,
  onCancel,
  focusOnMount,
}: {
  platform: DeploymentPlatform;
  /** The connection these credentials replace (the form then offers Cancel). */
  replacing?: Connection;
  onConnected: (connection: Connection) => void;
  onCancel?: () => void;
  focusOnMount?: boolean;
}) {
  const trpc = useTRPC();
  const base = useId();
  const { label, fields } = platformInfo(platform);
  const [values, setValues] = useState<Record<string, string>>(() => empty(platform));
  const [clientErrors, setClientErrors] = useState<Record<string, string[] | undefined> | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusOnMount) headingRef.current?.focus();
  }, [focusOnMount]);

  const save = useMutation(
    trpc.connections.save.mutationOptions({
      // The variables hold the secret: do not keep the finished mutation around.
      gcTime: 0,
      onSuccess: (connection) => {
        setValues(empty(platform));
        setClientErrors(null);
        save.reset();
        onConnected(connection);
      },
    }),
  );

  const serverFieldErrors = save.error?.data?.fieldErrors ?? null;
  const fieldErrors = clientErrors ?? serverFieldErrors ?? {};
  const hasFieldErrors = Object.values(fieldErrors).some((e) => e?.length);
  const refusal = save.error && !(serverFieldErrors && Object.keys(serverFieldErrors).length) ? save.error.message : null;

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    // A field not shown (a session token for a long-term key) is not sent.
    const shown = Object.fromEntries(Object.entries(values).filter(([name]) => fields.find((f) => f.name === name)?.when?.(values) ?? true));
    const parsed = connectionInput.safeParse({ platform, ...shown });
    if (!parsed.success) {
      const errors = z.flattenError(parsed.error).fieldErrors as Record<string, string[] | undefined>;
      setClientErrors(errors);
      save.reset();
      const first = fields.find((f) => errors[f.name]?.length);
      if (first) document.getElementById(`${base}-${first.name}`)?.focus();
      return;
    }
    setClientErrors(null);
    save.mutate(parsed.data);
  };

  const titleId = `${base}-title`;
  return (
    <form noValidate onSubmit={submit} aria-labelledby={titleId} aria-busy={save.isPending || undefined} className="space-y-4">
      <div>
        <h3
          id={titleId}
          ref={headingRef}
          tabIndex={-1}
          className="text-base font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent"
        >
          {replacing ? `Replace the ${label} credentials` : `Connect your ${label} account`}
        </h3>
        <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400">
          {replacing
            ? 'The new credentials are checked first; the old ones stay until the check passes.'
            : `Huskit checks these with ${label} before it keeps them, then stores them encrypted. They are never shown again.`}
        </p>
      </div>

      {fields
        .filter((field) => !field.when || field.when(values))
        .map((field) => {
          const id = `${base}-${field.name}`;
          const error = fieldErrors[field.name]?.[0];
          const onChange = (value: string) => {
            setValues((v) => ({ ...v, [field.name]: value }));
            if (clientErrors?.[field.name]) setClientErrors((e) => ({ ...e, [field.name]: undefined }));
          };
          return field.options ? (
            <SelectField
              key={field.name}
              id={id}
              label={field.label}
              hint={field.hint}
              error={error}
              value={values[field.name] ?? ''}
              onChange={onChange}
              options={field.options}
            />
          ) : (
            <TextField
              key={field.name}
              id={id}
              label={field.label}
              hint={field.hint}
              error={error}
              optional={field.optional}
              secret={field.secret}
              mono={field.mono}
              placeholder={field.placeholder}
              value={values[field.name] ?? ''}
              onChange={onChange}
            />
          );
        })}

      {refusal && (
        <div
          role="alert"
          className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200"
        >
          <p className="font-medium">
            {save.error?.data?.code === 'UNAUTHORIZED'
              ? 'Your session has ended: sign in again, then connect.'
              : save.error?.data?.action === 'retry'
                ? `${label} could not be reached just now. Nothing was saved: try again in a moment.`
                : `${label} did not accept these credentials. Nothing was saved.`}
          </p>
          <p className="mt-1 text-xs">{refusal}</p>
        </div>
      )}
      {!refusal && hasFieldErrors && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          Check the fields marked above.
        </p>
      )}

      <div className="flex flex-wrap items-center gap-3">
        <button
          type="submit"
          disabled={save.isPending}
          className="rounded-md bg-accent px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
        >
          {save.isPending ? `Checking with ${label}…` : replacing ? 'Check and replace' : 'Connect'}
        </button>
        {onCancel && (
          <button
            type="button"
            onClick={onCancel}
            className="rounded-md border border-neutral-300 px-4 py-2 text-sm hover:bg-neutral-100 focus-visible:outline-2 focus-visible:outline-accent dark:border-neutral-700 dark:hover:bg-neutral-800"
          >
            Cancel
          </button>
        )}
        <span role="status" className="text-sm text-neutral-500">
          {save.isPending ? `Checking the credentials with ${label}…` : ''}
        </span>
      </div>
    </form>
  );
}
