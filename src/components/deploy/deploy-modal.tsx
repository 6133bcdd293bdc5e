'use client';
// The deploy modal: choose the mode, then follow the deployment live (steps, progress, log) until the
// URL is ready — the largest thing on the screen — or an error says what to do next. Closing it does
// not stop the deployment; reopening it (or reloading) shows where it is.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { stepProgress, type AuthMode, type DeploymentPlatform } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';
import { useTRPC } from '@/trpc/react';
import { PlatformMark } from '@/components/ui/platform-mark';
import { DeployModeChoice } from './deploy-mode-choice';
import { DeployLog, DeploySteps } from './deploy-progress';
import { FailureNotice, type CreateFailure } from './failure-notice';
import { LiveUrl } from './live-url';
import { useDeploymentEvents } from './use-deployment-events';

const storageKey = (projectId: string, platform: string) => `huskit:deployment:${projectId}:${platform}`;

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

  // Never backwards: a step this list does not know, or an earlier one, keeps what was shown.
  const shown = useMemo(() => stepProgress(platform, events), [platform, events]);
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
            <DeployModeChoice
              platform={platform}
              mode={mode}
              onChange={setMode}
              connected={connected}
              quickOffered={quickOffered}
              allowance={allowance.data?.platformManaged}
            />
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

            {!finished && <DeploySteps platform={platform} shown={shown} />}

            <DeployLog events={events} />

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
