'use client';
// The deploy modal: choose the mode, then follow the deployment live (steps, progress, log) until the
// URL is ready — the largest thing on the screen — or an error says what to do next. Closing it does
// not stop the deployment; reopening it (or reloading) shows where it is.
import Link from 'next/link';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { DEPLOYMENT_STEPS, stepProgress, type AuthMode, type DeploymentPlatform } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';
import { useTRPC } from '@/trpc/react';
import { PlatformMark } from '@/components/ui/platform-mark';
import { ProgressBar } from '@/components/ui/progress-bar';
import { useDeploymentEvents } from './use-deployment-events';

const storageKey = (projectId: string, platform: string) => `huskit:deployment:${projectId}:${platform}`;

interface CreateFailure {
  message: string;
  action?: string | null;
  retryAfterSeconds?: number | null;
  /** When it happened: a new failure starts its own countdown. */
  at?: number;
}

export function DeployModal(props: { projectId: string; platform: DeploymentPlatform; connected: boolean; onClose: () => void }) {
  const { projectId, platform, connected, onClose } = props;
  const trpc = useTRPC();
  const dialog = useRef<HTMLDialogElement>(null);
  // A platform without quick deploy (no shared account) deploys to the person's own account only.
  const quickOffered = platformInfo(platform).quickDeploy !== null;
  const [mode, setMode] = useState<AuthMode>(connected || !quickOffered ? 'user-token' : 'platform-managed');
  const canDeploy = mode === 'platform-managed' ? quickOffered : connected;
  // A deployment started earlier from here (the modal was closed, or the page reloaded). The modal
  // opens on a click, never on the server, so localStorage is there.
  const [deploymentId, setDeploymentId] = useState<string | null>(() => localStorage.getItem(storageKey(projectId, platform)));
  const [failure, setFailure] = useState<CreateFailure | null>(null);
  const allowance = useQuery(trpc.deployments.allowance.queryOptions());
  const deploy = useMutation(trpc.projects.deploy.mutationOptions());
  const { events, last } = useDeploymentEvents(deploymentId);
  const details = useQuery({
    ...trpc.deployments.get.queryOptions({ id: deploymentId ?? '' }),
    enabled: Boolean(deploymentId && last && ['ready', 'error'].includes(last.status)),
  });
  const status = useQuery({
    queryKey: ['deploy-status', deploymentId],
    queryFn: async () => (await fetch(`/api/deploy-status?deploymentId=${deploymentId}`)).json() as Promise<{ httpStatus?: number; action?: string }>,
    enabled: Boolean(deploymentId && last?.status === 'error'),
  });

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  async function start() {
    setFailure(null);
    try {
      const { deploymentId: id } = await deploy.mutateAsync({ projectId, platform, authMode: mode });
      localStorage.setItem(storageKey(projectId, platform), id);
      setDeploymentId(id);
    } catch (err) {
      const e = err as { message: string; data?: { action?: string | null; retryAfterSeconds?: number | null } };
      setFailure({ message: e.message, action: e.data?.action, retryAfterSeconds: e.data?.retryAfterSeconds, at: Date.now() });
      void allowance.refetch();
    }
  }

  function again() {
    localStorage.removeItem(storageKey(projectId, platform));
    setDeploymentId(null);
    setFailure(null);
    void allowance.refetch();
  }

  const steps = DEPLOYMENT_STEPS[platform];
  // Never backwards: a step this list does not know, or an earlier one, keeps what was shown.
  const shown = useMemo(() => stepProgress(platform, events), [platform, events]);
  const currentIndex = shown.index;
  const finished = last && ['ready', 'error', 'canceled', 'expired'].includes(last.status);

  return (
    <dialog
      ref={dialog}
      aria-labelledby="deploy-title"
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault();
        dialog.current?.close();
      }}
      onKeyDown={(e) => {
        // Keep Tab inside the dialog: from the last control back to the first, and the other way.
        if (e.key !== 'Tab') return;
        const focusable = [
          ...(dialog.current?.querySelectorAll<HTMLElement>(
            'a[href], button:not([disabled]), input:not([disabled]), select, summary, [tabindex]:not([tabindex="-1"])',
          ) ?? []),
        ];
        const first = focusable[0];
        const last = focusable.at(-1);
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last?.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first?.focus();
        }
      }}
      className="m-auto w-[min(36rem,calc(100vw-2rem))] rounded-xl border border-neutral-200 bg-white p-0 text-neutral-900 shadow-2xl backdrop:bg-black/40 dark:border-neutral-700 dark:bg-neutral-900 dark:text-neutral-100"
    >
      <div className="space-y-5 p-6">
        <header className="flex items-center justify-between">
          <h2 id="deploy-title" className="flex items-center gap-2 text-lg font-semibold">
            Deploy to <PlatformMark platform={platform} />
          </h2>
          <button
            type="button"
            onClick={() => dialog.current?.close()}
            aria-label="Close"
            className="rounded-md px-2 py-1 text-neutral-500 hover:bg-neutral-100 focus-visible:outline-2 focus-visible:outline-accent dark:hover:bg-neutral-800"
          >
            ✕
          </button>
        </header>

        {!deploymentId && (
          <>
            <fieldset className="space-y-2">
              <legend className="mb-1 text-sm font-medium">How?</legend>
              <label
                className={`flex gap-3 rounded-lg border p-3 ${mode === 'user-token' ? 'border-accent' : 'border-neutral-200 dark:border-neutral-700'} ${connected ? '' : 'opacity-70'}`}
              >
                <input type="radio" name="mode" checked={mode === 'user-token'} disabled={!connected} onChange={() => setMode('user-token')} />
                <span>
                  <span className="block font-medium">Deploy to your {platformInfo(platform).label} account</span>
                  <span className="block text-sm text-neutral-500">
                    {connected ? (
                      'Your own account: the site stays as long as you keep it.'
                    ) : (
                      <>
                        No account connected.{' '}
                        <Link href={`/settings?platform=${platform}`} className="text-accent underline">
                          Connect one in Settings
                        </Link>
                        .
                      </>
                    )}
                  </span>
                </span>
              </label>
              <label
                className={`flex gap-3 rounded-lg border p-3 ${mode === 'platform-managed' ? 'border-accent' : 'border-neutral-200 dark:border-neutral-700'} ${quickOffered ? '' : 'opacity-70'}`}
              >
                <input type="radio" name="mode" checked={mode === 'platform-managed'} disabled={!quickOffered} onChange={() => setMode('platform-managed')} />
                <span>
                  <span className="block font-medium">Quick deploy — instant URL, 30 days</span>
                  <span className="block text-sm text-neutral-500" data-testid="allowance">
                    {!quickOffered
                      ? `Not offered for ${platformInfo(platform).label}: sites go to your own account.`
                      : allowance.data
                        ? `${allowance.data.platformManaged.hourLeft} left this hour, ${allowance.data.platformManaged.dayLeft} today`
                        : 'Checking your allowance…'}
                  </span>
                </span>
              </label>
            </fieldset>
            {failure && <FailureNotice key={failure.at} failure={failure} onRetry={() => void start()} />}
            <div className="flex justify-end gap-2">
              <button
                type="button"
                onClick={() => dialog.current?.close()}
                className="rounded-md border border-neutral-300 px-4 py-2 text-sm hover:bg-neutral-100 focus-visible:outline-2 focus-visible:outline-accent dark:border-neutral-700 dark:hover:bg-neutral-800"
              >
                Cancel
              </button>
              <button
                type="button"
                onClick={() => void start()}
                disabled={deploy.isPending || !canDeploy}
                className="rounded-md bg-accent px-4 py-2 text-sm font-medium text-white hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
              >
                {deploy.isPending ? 'Starting…' : 'Deploy now'}
              </button>
            </div>
          </>
        )}

        {deploymentId && (
          <div className="space-y-4">
            <p aria-live="polite" className="text-sm font-medium" data-testid="deploy-status">
              {!last ? 'Connecting…' : last.status === 'ready' ? 'Your site is live.' : last.status === 'error' ? 'The deployment failed.' : last.message}
            </p>

            {last?.status === 'ready' && last.url && <LiveUrl url={last.url} expiresAt={details.data?.expiresAt ?? null} />}

            {last?.status === 'error' && (
              <FailureNotice
                failure={{ message: last.error ?? last.message, action: status.data?.action }}
                onRetry={again}
                statusUrl={`/api/deploy-status?deploymentId=${deploymentId}`}
              />
            )}

            {!finished && (
              <>
                <ProgressBar value={shown.progress} max={100} label="Deploying" />
                <ol className="space-y-1 text-sm" aria-label="Steps">
                  {steps.map((s, i) => (
                    <li key={s.id} className="flex items-center gap-2" aria-current={i === currentIndex ? 'step' : undefined}>
                      <span
                        aria-hidden="true"
                        className={`size-2 rounded-full ${i < currentIndex ? 'bg-emerald-500' : i === currentIndex ? 'animate-pulse bg-amber-500' : 'bg-neutral-300 dark:bg-neutral-700'}`}
                      />
                      <span className={i === currentIndex ? 'font-medium' : 'text-neutral-500'}>{s.label}</span>
                    </li>
                  ))}
                </ol>
              </>
            )}

            <details className="text-sm">
              <summary className="cursor-pointer text-neutral-600 dark:text-neutral-400">Log ({events.length} lines)</summary>
              <ol className="mt-2 max-h-48 space-y-0.5 overflow-auto rounded bg-neutral-50 p-2 font-mono text-xs dark:bg-neutral-950" data-testid="deploy-log">
                {events.map((e) => (
                  <li key={e.id}>{e.message}</li>
                ))}
              </ol>
            </details>

            {finished && (
              <div className="flex justify-end gap-2">
                <button
                  type="button"
                  onClick={again}
                  className="rounded-md border border-neutral-300 px-4 py-2 text-sm hover:bg-neutral-100 focus-visible:outline-2 focus-visible:outline-accent dark:border-neutral-700 dark:hover:bg-neutral-800"
                >
                  Deploy again
                </button>
                <button
                  type="button"
                  onClick={() => dialog.current?.close()}
                  className="rounded-md bg-accent px-4 py-2 text-sm font-medium text-white hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent"
                >
                  Done
                </button>
              </div>
            )}
          </div>
        )}
      </div>
    </dialog>
  );
}

function LiveUrl({ url, expiresAt }: { url: string; expiresAt: Date | null }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="space-y-2 rounded-lg border border-emerald-300 bg-emerald-50 p-4 dark:border-emerald-800 dark:bg-emerald-950">
      <a
        href={url}
        target="_blank"
        rel="noreferrer"
        className="block break-all text-lg font-semibold text-emerald-900 underline-offset-4 hover:underline dark:text-emerald-100"
        data-testid="live-url"
      >
        {url}
      </a>
      <div className="flex items-center gap-2">
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(url);
            setCopied(true);
          }}
          className="rounded-md border border-emerald-400 px-3 py-1 text-sm hover:bg-white focus-visible:outline-2 focus-visible:outline-accent dark:hover:bg-emerald-900"
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <a
          href={url}
          target="_blank"
          rel="noreferrer"
          className="rounded-md border border-emerald-400 px-3 py-1 text-sm hover:bg-white focus-visible:outline-2 focus-visible:outline-accent dark:hover:bg-emerald-900"
        >
          Open
        </a>
        {expiresAt && <span className="ml-auto text-xs text-emerald-900 dark:text-emerald-200">Live until {new Date(expiresAt).toLocaleDateString()}</span>}
      </div>
    </div>
  );
}

function FailureNotice({ failure, onRetry, statusUrl }: { failure: CreateFailure; onRetry: () => void; statusUrl?: string }) {
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
