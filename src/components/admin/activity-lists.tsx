// The operators' short lists: rate-limit and quota refusals, failed deployments with their
// messages, and the quick-deploy sites that expire next.
import type { DeploymentPlatform } from '@/lib/deployment';
import { PlatformMark } from '@/components/ui/platform-mark';
import { TimeAgo } from './format';

const empty = (text: string) => <p className="py-3 text-sm text-neutral-500">{text}</p>;

export interface RejectionRow {
  at: Date;
  reason: string | null;
  platform: string | null;
  authMode: string | null;
  email: string | null;
}

const REASONS: Record<string, string> = { rate_limited: 'rate limit', quota: 'platform quota full' };

export function RejectionList({ rows, now }: { rows: RejectionRow[]; now: Date }) {
  if (!rows.length) return empty('No deployment has been refused yet.');
  return (
    <ul className="divide-y divide-neutral-200 text-sm dark:divide-neutral-800" aria-label="Recent rejections">
      {rows.map((r, i) => (
        <li key={`${r.at.toISOString()}-${i}`} className="flex flex-wrap items-baseline gap-x-3 gap-y-0.5 py-2">
          <span className="w-28 shrink-0 text-neutral-500">
            <TimeAgo date={r.at} now={now} />
          </span>
          <span className="min-w-0 flex-1 truncate" title={r.email ?? undefined}>
            {r.email ?? 'deleted user'}
          </span>
          <span className="rounded bg-amber-50 px-1.5 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-950 dark:text-amber-300">
            {REASONS[r.reason ?? ''] ?? r.reason}
          </span>
          {r.platform && <PlatformMark platform={r.platform as DeploymentPlatform} withName={false} />}
        </li>
      ))}
    </ul>
  );
}

export interface FailureRow {
  id: string;
  at: Date;
  platform: DeploymentPlatform;
  authMode: string;
  error: string | null;
  errorCode: string | null;
  email: string;
}

export function FailureList({ rows, now }: { rows: FailureRow[]; now: Date }) {
  if (!rows.length) return empty('No failed deployments.');
  return (
    <ul className="divide-y divide-neutral-200 text-sm dark:divide-neutral-800" aria-label="Recent failures">
      {rows.map((f) => (
        <li key={f.id} className="py-2.5">
          <div className="flex flex-wrap items-center gap-x-3 gap-y-0.5">
            <span className="inline-flex items-center gap-1.5 font-medium text-red-700 dark:text-red-400">
              <span className="size-2 rounded-full bg-red-500" aria-hidden="true" />
              error
            </span>
            <PlatformMark platform={f.platform} />
            <span className="text-neutral-500">{f.authMode === 'user-token' ? 'own account' : 'quick deploy'}</span>
            <span className="ml-auto text-neutral-500">
              <TimeAgo date={f.at} now={now} />
            </span>
          </div>
          <p className="mt-1 text-neutral-800 dark:text-neutral-200">{f.error ?? 'No message was recorded.'}</p>
          <p className="mt-0.5 text-xs text-neutral-500">
            {f.email}
            {f.errorCode && (
              <>
                {' · '}
                <code className="font-mono">{f.errorCode}</code>
              </>
            )}
            {' · '}
            <code className="font-mono">{f.id}</code>
          </p>
        </li>
      ))}
    </ul>
  );
}

export interface ExpiringRow {
  id: string;
  name: string;
  platform: DeploymentPlatform;
  url: string | null;
  expiresAt: Date;
  email: string;
}

export function ExpiringSites({ rows, now }: { rows: ExpiringRow[]; now: Date }) {
  if (!rows.length) return empty('No quick-deploy site is live right now.');
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm tabular-nums">
        <thead className="text-xs text-neutral-500">
          <tr>
            <th scope="col" className="py-2 pr-4 font-medium">
              Expires
            </th>
            <th scope="col" className="py-2 pr-4 font-medium">
              Site
            </th>
            <th scope="col" className="py-2 pr-4 font-medium">
              Platform
            </th>
            <th scope="col" className="py-2 font-medium">
              Owner
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-neutral-200 dark:divide-neutral-800">
          {rows.map((s) => {
            const overdue = s.expiresAt <= now;
            return (
              <tr key={s.id}>
                <td className={`py-2 pr-4 whitespace-nowrap ${overdue ? 'font-medium text-red-700 dark:text-red-400' : ''}`}>
                  {overdue ? 'overdue, ' : ''}
                  <TimeAgo date={s.expiresAt} now={now} />
                </td>
                <td className="max-w-xs py-2 pr-4">
                  <div className="truncate font-medium">{s.name}</div>
                  {s.url && (
                    <a
                      href={s.url}
                      target="_blank"
                      rel="noopener noreferrer"
                      className="block truncate text-xs text-accent underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-accent"
                    >
                      {s.url.replace(/^https?:\/\//, '')}
                    </a>
                  )}
                </td>
                <td className="py-2 pr-4 whitespace-nowrap">
                  <PlatformMark platform={s.platform} />
                </td>
                <td className="max-w-[14rem] truncate py-2" title={s.email}>
                  {s.email}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
