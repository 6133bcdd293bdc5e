import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { TRPCError } from '@trpc/server';
import { DEPLOYMENT_STATUSES } from '@/lib/deployment';
import { ExpiringSites, FailureList, RejectionList } from '@/components/admin/activity-lists';
import { AdminsList } from '@/components/admin/admins-list';
import { DeploymentsChart } from '@/components/admin/deployments-chart';
import { Panel } from '@/components/admin/panel';
import { QuotaBars } from '@/components/admin/quota-bars';
import { RunCleanup } from '@/components/admin/run-cleanup';
import { PageHeader } from '@/components/ui/empty-state';
import { StatusBadge } from '@/components/ui/status-badge';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Admin · Huskit Sites' };

const CHART_DAYS = 30;

export default async function AdminPage() {
  const caller = await getServerCaller();
  // The admin procedure checks the role; a non-admin sees no trace of the page.
  const overview = await caller.admin.overview().catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === 'FORBIDDEN' || err.code === 'UNAUTHORIZED')) return null;
    throw err;
  });
  if (!overview) notFound();
  const [me, perDay, rejections, failures, expiring] = await Promise.all([
    caller.account.me(),
    caller.admin.deploymentsPerDay({ days: CHART_DAYS }),
    caller.admin.rejections({ limit: 6 }),
    caller.admin.failures({ limit: 6 }),
    caller.admin.expiring({ limit: 8 }),
  ]);
  const now = new Date();

  const figures = [
    { label: 'Users', value: overview.users, testId: 'figure-users' },
    { label: 'Active sites', value: overview.activeSites, testId: 'figure-active-sites' },
    { label: 'Deployments, last 24 h', value: overview.deploymentsLast24h, testId: 'figure-deployments-24h' },
    { label: 'Rejections, last 24 h', value: overview.rejectionsLast24h, testId: 'figure-rejections-24h' },
  ];
  const statuses = DEPLOYMENT_STATUSES.filter((s) => overview.deploymentsByStatus[s]);

  return (
    <>
      <PageHeader title="Admin" description="Usage of the shared infrastructure, refusals and failures, and the lifecycle job." />
      <dl className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        {figures.map((f) => (
          <div key={f.label} className="rounded-lg border border-neutral-200 bg-white p-4 dark:border-neutral-800 dark:bg-neutral-900">
            <dt className="text-sm text-neutral-500">{f.label}</dt>
            <dd className="mt-1 text-2xl font-semibold tabular-nums" data-testid={f.testId}>
              {f.value}
            </dd>
          </div>
        ))}
      </dl>

      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <Panel id="quota-heading" title="Quick-deploy quota" description="Live quick-deploy sites per platform against the limit of the shared accounts.">
          <QuotaBars quota={overview.quota} />
        </Panel>
        <Panel
          id="per-day-heading"
          title={`Deployments per day, last ${CHART_DAYS} days`}
          description={
            statuses.length ? (
              <span className="inline-flex flex-wrap items-center gap-x-3 gap-y-1">
                <span>All time:</span>
                {statuses.map((s) => (
                  <span key={s} className="inline-flex items-center gap-1 tabular-nums">
                    {overview.deploymentsByStatus[s]} <StatusBadge status={s} />
                  </span>
                ))}
              </span>
            ) : (
              'No deployments yet.'
            )
          }
        >
          <DeploymentsChart rows={perDay} days={CHART_DAYS} now={now} />
        </Panel>

        <Panel
          id="rejections-heading"
          title="Rate-limit rejections"
          description={
            <span data-testid="rejections-summary">
              {overview.rejectionsLast24h === 0
                ? 'None in the last 24 hours.'
                : `${overview.rejectionsLast24h} ${overview.rejectionsLast24h === 1 ? 'deployment was' : 'deployments were'} refused in the last 24 hours.`}
            </span>
          }
        >
          <RejectionList rows={rejections} now={now} />
        </Panel>
        <Panel id="failures-heading" title="Recent failures" description="The newest failed deployments and the message their owner saw.">
          <FailureList rows={failures} now={now} />
        </Panel>

        <Panel id="expiring-heading" title="Closest to expiry" description="Quick-deploy sites that leave the shared accounts next." className="lg:col-span-2">
          <ExpiringSites rows={expiring} now={now} />
        </Panel>

        <Panel
          id="cleanup-heading"
          title="Lifecycle job"
          description="Removes expired quick-deploy sites, settles stuck deployments, removes orphaned resources and releases stored files nothing uses. It also runs on its schedule."
          className="lg:col-span-2"
        >
          <RunCleanup />
        </Panel>

        <Panel
          id="admins-heading"
          title="Admins"
          description="Who may open this page. Grant the role to an account by its email; the last admin cannot be removed. Every change is audited."
          className="lg:col-span-2"
        >
          <AdminsList currentUserId={me.id} />
        </Panel>
      </div>
    </>
  );
}
