// Status first: a dot and the word, never color alone.
import type { DeploymentStatus } from '@/lib/deployment';

const STYLES: Record<DeploymentStatus, { dot: string; text: string }> = {
  pending: { dot: 'bg-neutral-400', text: 'text-neutral-600 dark:text-neutral-400' },
  building: { dot: 'bg-amber-500 animate-pulse', text: 'text-amber-700 dark:text-amber-400' },
  ready: { dot: 'bg-emerald-500', text: 'text-emerald-700 dark:text-emerald-400' },
  error: { dot: 'bg-red-500', text: 'text-red-700 dark:text-red-400' },
  canceled: { dot: 'bg-neutral-300 dark:bg-neutral-600', text: 'text-neutral-500' },
  expired: { dot: 'bg-neutral-300 dark:bg-neutral-600', text: 'text-neutral-500' },
};

export function StatusBadge({ status }: { status: DeploymentStatus }) {
  const s = STYLES[status];
  return (
    <span className={`inline-flex items-center gap-1.5 text-sm font-medium ${s.text}`} data-status={status}>
      <span className={`size-2 rounded-full ${s.dot}`} aria-hidden="true" />
      {status}
    </span>
  );
}
