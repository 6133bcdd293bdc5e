// Why a deployment could not start or failed, and the one thing to do next (connect an account, wait
// for the countdown, retry, check the status).
import Link from 'next/link';
import { useEffect, useState } from 'react';

export interface CreateFailure {
  message: string;
  action?: string | null;
  retryAfterSeconds?: number | null;
  /** When it happened: a new failure starts its own countdown. */
  at?: number;
}

export function FailureNotice({ failure, onRetry, statusUrl }: { failure: CreateFailure; onRetry: () => void; statusUrl?: string }) {
  const [left, setLeft] = useState(failure.retryAfterSeconds ?? 0);
  useEffect(() => {
    if (!failure.retryAfterSeconds) return;
    const t = setInterval(() => setLeft((s) => Math.max(0, s - 1)), 1000);
    return () => clearInterval(t);
  }, [failure.retryAfterSeconds]);
  const mmss = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  return (
    <div
      role="alert"
      className="space-y-2 rounded-lg border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100"
    >
      <p>{failure.message}</p>
      {failure.action === 'settings' && (
        <Link href="/settings" className="inline-block rounded-md bg-red-700 px-3 py-1 font-medium text-white">
          Connect your account
        </Link>
      )}
      {failure.action === 'wait' && (
        <p className="font-medium tabular-nums" data-testid="countdown">
          You can deploy again in {mmss}.
        </p>
      )}
      {failure.action === 'retry' && (
        <button type="button" onClick={onRetry} className="rounded-md bg-red-700 px-3 py-1 font-medium text-white">
          Retry
        </button>
      )}
      {failure.action === 'status' && statusUrl && (
        <a href={statusUrl} className="inline-block rounded-md bg-red-700 px-3 py-1 font-medium text-white">
          Check status
        </a>
      )}
      {failure.action === 'use-own-account' && <p>Use “Deploy to your account” instead.</p>}
    </div>
  );
}
