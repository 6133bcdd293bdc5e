'use client';
// The sign-up / sign-in form. It posts to a Server Action, so it works before JavaScript loads;
// once hydrated it shows field errors without a page reload.
import Link from 'next/link';
import { useActionState } from 'react';
import { PASSWORD_MIN_LENGTH } from '@/lib/account';
import type { AuthFormState } from '@/app/(auth)/actions';

interface Props {
  mode: 'sign-up' | 'sign-in';
  action: (prev: AuthFormState, formData: FormData) => Promise<AuthFormState>;
}

export function AuthForm({ mode, action }: Props) {
  const [state, formAction, pending] = useActionState(action, {});
  const signUp = mode === 'sign-up';
  const emailError = state.fieldErrors?.email?.[0];
  const passwordError = state.fieldErrors?.password?.[0];

  return (
    <form action={formAction} noValidate className="space-y-5" aria-describedby={state.message ? 'form-message' : undefined}>
      {state.message && (
        <p
          id="form-message"
          role="alert"
          className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200"
        >
          {state.message}
        </p>
      )}
      <Field label="Email" name="email" type="email" autoComplete="email" defaultValue={state.email} error={emailError} />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete={signUp ? 'new-password' : 'current-password'}
        hint={signUp ? `At least ${PASSWORD_MIN_LENGTH} characters.` : undefined}
        error={passwordError}
      />
      <button
        type="submit"
        disabled={pending}
        className="w-full rounded-md bg-accent px-4 py-2.5 text-sm font-medium text-white shadow-sm hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
      >
        {pending ? (signUp ? 'Creating your account…' : 'Signing in…') : signUp ? 'Create account' : 'Sign in'}
      </button>
      <p className="text-center text-sm text-neutral-600 dark:text-neutral-400">
        {signUp ? 'Already have an account? ' : 'New to Huskit Sites? '}
        <Link className="font-medium text-accent underline-offset-4 hover:underline" href={signUp ? '/sign-in' : '/sign-up'}>
          {signUp ? 'Sign in' : 'Create an account'}
        </Link>
      </p>
    </form>
  );
}

function Field(props: { label: string; name: string; type: string; autoComplete: string; defaultValue?: string; hint?: string; error?: string }) {
  const id = `field-${props.name}`;
  const describedBy = [props.hint && `${id}-hint`, props.error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium">
        {props.label}
      </label>
      <input
        id={id}
        name={props.name}
        type={props.type}
        autoComplete={props.autoComplete}
        defaultValue={props.defaultValue}
        required
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy}
        className="block w-full rounded-md border border-neutral-300 bg-white px-3 py-2 text-sm shadow-xs focus-visible:border-accent focus-visible:outline-2 focus-visible:outline-accent aria-invalid:border-red-500 dark:border-neutral-700 dark:bg-neutral-900"
      />
      {props.hint && (
        <p id={`${id}-hint`} className="text-xs text-neutral-500">
          {props.hint}
        </p>
      )}
      {props.error && (
        <p id={`${id}-error`} className="text-sm text-red-700 dark:text-red-400">
          {props.error}
        </p>
      )}
    </div>
  );
}
