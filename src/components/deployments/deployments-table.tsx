'use client';
// The deployments dashboard: newest first, status first, live while building; open, redeploy, roll
// back, view the log, delete.
import Link from 'next/link';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { DEPLOYMENT_PLATFORMS, DEPLOYMENT_STATUSES, type DeploymentPlatform, type DeploymentStatus, type DeploymentSummary } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';
import { formatBytes } from '@/lib/site-files';
import { useTRPC } from '@/trpc/react';
import { EmptyState } from '@/components/ui/empty-state';
import { PlatformMark } from '@/components/ui/platform-mark';
import { StatusBadge } from '@/components/ui/status-badge';
import { useDeploymentEvents } from '@/components/deploy/use-deployment-events';

function relative(date: Date): string {
  const s = Math.round((Date.now() - new Date(date).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function DeploymentsTable() {
  const trpc = useTRPC();
  const [platform, setPlatform] = useState<DeploymentPlatform | ''>('');
  const [status, setStatus] = useState<DeploymentStatus | ''>('');
  const projects = useQuery(trpc.projects.list.queryOptions());
  const list = useInfiniteQuery(
    trpc.deployments.list.infiniteQueryOptions(
      { limit: 20, ...(platform ? { platform } : {}), ...(status ? { status } : {}) },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
  );
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const names = new Map(projects.data?.map((p) => [p.id, p.name]));

  if (list.isSuccess && rows.length === 0 && !platform && !status)
    return (
      <EmptyState
        title="No deployments yet"
        body="Create a site from a template or import the folder your site builder made, then deploy it with one click."
        action={{ href: '/sites', label: 'Create your first site' }}
      />
    );

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap gap-3 text-sm">
        <label className="flex items-center gap-2">
          Platform
          <select
            value={platform}
            onChange={(e) => setPlatform(e.target.value as DeploymentPlatform | '')}
            className="rounded-md border border-neutral-300 bg-white px-2 py-1 dark:border-neutral-700 dark:bg-neutral-900"
          >
            <option value="">All</option>
            {DEPLOYMENT_PLATFORMS.map((p) => (
              <option key={p} value={p}>
                {platformInfo(p).label}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-2">
          Status
          <select
            value={status}
            onChange={(e) => setStatus(e.target.value as DeploymentStatus | '')}
            className="rounded-md border border-neutral-300 bg-white px-2 py-1 dark:border-neutral-700 dark:bg-neutral-900"
          >
            <option value="">All</option>
            {DEPLOYMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="overflow-x-auto rounded-lg border border-neutral-200 bg-white dark:border-neutral-800 dark:bg-neutral-900">
        <table className="w-full text-left text-sm">
          <thead className="border-b border-neutral-200 text-xs uppercase tracking-wide text-neutral-500 dark:border-neutral-800">
            <tr>
              <th className="px-3 py-2">Status</th>
              <th className="px-3 py-2">Site</th>
              <th className="px-3 py-2">Platform</th>
              <th className="px-3 py-2">URL</th>
              <th className="px-3 py-2">Created</th>
              <th className="px-3 py-2">Expires</th>
              <th className="px-3 py-2 text-right">Files</th>
              <th className="px-3 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-neutral-200 dark:divide-neutral-800">
            {rows.map((d, i) => (
              <DeploymentRow
                key={d.id}
                deployment={d}
                siteName={names.get(d.chatId) ?? d.chatId}
                canRollback={rows.slice(0, i).some((r) => r.chatId === d.chatId && r.platform === d.platform)}
              />
            ))}
          </tbody>
        </table>
      </div>
      {list.hasNextPage && (
        <button
          type="button"
          onClick={() => void list.fetchNextPage()}
          className="rounded-md border border-neutral-300 px-3 py-1.5 text-sm dark:border-neutral-700"
        >
          Load more
        </button>
      )}
    </div>
  );
}

function DeploymentRow({ deployment, siteName, canRollback }: { deployment: DeploymentSummary; siteName: string; canRollback: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const live = !['ready', 'error', 'canceled', 'expired'].includes(deployment.status);
  const { last } = useDeploymentEvents(live ? deployment.id : null);
  const [showLog, setShowLog] = useState(false);
  const log = useQuery({ ...trpc.deployments.log.queryOptions({ id: deployment.id }), enabled: showLog });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.deployments.list.pathKey() });
  const redeploy = useMutation(trpc.deployments.redeploy.mutationOptions({ onSuccess: () => void refresh() }));
  const rollback = useMutation(trpc.deployments.rollback.mutationOptions({ onSuccess: () => void refresh() }));
  const remove = useMutation(trpc.deployments.delete.mutationOptions({ onSuccess: () => void refresh() }));
  useEffect(() => {
    if (last && ['ready', 'error'].includes(last.status)) void refresh();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [last?.status]);

  const status = (last?.status ?? deployment.status) as DeploymentStatus;
  const url = last?.url ?? deployment.url;
  const error = redeploy.error ?? rollback.error ?? remove.error;
  return (
    <>
      <tr data-testid="deployment-row" data-deployment-id={deployment.id}>
        <td className="px-3 py-2">
          <StatusBadge status={status} />
        </td>
        <td className="px-3 py-2 font-medium">
          <Link href={`/sites/${deployment.chatId}`} className="hover:underline">
            {siteName}
          </Link>
          <span className="block text-xs font-normal text-neutral-500">{deployment.authMode === 'platform-managed' ? 'quick deploy' : 'your account'}</span>
        </td>
        <td className="px-3 py-2">
          <PlatformMark platform={deployment.platform} />
        </td>
        <td className="max-w-64 truncate px-3 py-2">
          {url && status === 'ready' ? (
            <a href={url} target="_blank" rel="noreferrer" className="text-accent hover:underline">
              {url.replace(/^https?:\/\//, '')}
            </a>
          ) : (
            <span className="text-neutral-500">{deployment.error ?? '—'}</span>
          )}
        </td>
        <td className="px-3 py-2 whitespace-nowrap text-neutral-600 dark:text-neutral-400" title={new Date(deployment.createdAt).toLocaleString()}>
          {relative(deployment.createdAt)}
        </td>
        <td className="px-3 py-2 whitespace-nowrap text-neutral-600 dark:text-neutral-400">
          {deployment.expiresAt ? new Date(deployment.expiresAt).toLocaleDateString() : '—'}
        </td>
        <td className="px-3 py-2 text-right tabular-nums">
          {deployment.fileCount} · {formatBytes(deployment.totalSizeBytes)}
        </td>
        <td className="px-3 py-2">
          <div className="flex justify-end gap-1 whitespace-nowrap">
            {url && status === 'ready' && (
              <a href={url} target="_blank" rel="noreferrer" className="rounded px-2 py-1 hover:bg-neutral-100 dark:hover:bg-neutral-800">
                Open
              </a>
            )}
            <button
              type="button"
              onClick={() => redeploy.mutate({ id: deployment.id })}
              className="rounded px-2 py-1 hover:bg-neutral-100 dark:hover:bg-neutral-800"
            >
              Redeploy
            </button>
            {canRollback && deployment.status === 'ready' && (
              <button
                type="button"
                onClick={() => rollback.mutate({ id: deployment.id })}
                className="rounded px-2 py-1 hover:bg-neutral-100 dark:hover:bg-neutral-800"
              >
                Rollback
              </button>
            )}
            <button
              type="button"
              aria-expanded={showLog}
              onClick={() => setShowLog((s) => !s)}
              className="rounded px-2 py-1 hover:bg-neutral-100 dark:hover:bg-neutral-800"
            >
              Log
            </button>
            {deployment.status === 'ready' && (
              <button
                type="button"
                onClick={() => {
                  if (window.confirm(`Delete the site at ${url}? It stops answering at once.`)) remove.mutate({ id: deployment.id });
                }}
                className="rounded px-2 py-1 text-red-700 hover:bg-red-50 dark:text-red-400 dark:hover:bg-red-950"
              >
                Delete
              </button>
            )}
          </div>
          {error && (
            <p role="alert" className="mt-1 text-right text-xs text-red-700">
              {error.message}
            </p>
          )}
        </td>
      </tr>
      {showLog && (
        <tr>
          <td colSpan={8} className="bg-neutral-50 px-3 py-2 dark:bg-neutral-950">
            <ol className="font-mono text-xs">
              {log.data?.map((e) => (
                <li key={e.id}>
                  <span className="text-neutral-500">{new Date(e.createdAt).toLocaleTimeString()}</span> {e.message}
                </li>
              ))}
            </ol>
          </td>
        </tr>
      )}
    </>
  );
}
