import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { PageHeader } from '@/components/ui/empty-state';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Admin · Huskit Sites' };

export default async function AdminPage() {
  const caller = await getServerCaller();
  // The admin procedure checks the role; a non-admin sees no trace of the page.
  const overview = await caller.admin.overview().catch(() => null);
  if (!overview) notFound();
  const figures = [
    { label: 'Users', value: overview.users },
    { label: 'Active sites', value: overview.activeSites },
    { label: 'Deployments, last 24 h', value: overview.deploymentsLast24h },
  ];
  return (
    <>
      <PageHeader title="Admin" description="Usage of the shared infrastructure." />
      <dl className="grid gap-4 sm:grid-cols-3">
        {figures.map((f) => (
          <div key={f.label} className="rounded-lg border border-neutral-200 bg-white p-4 dark:border-neutral-800 dark:bg-neutral-900">
            <dt className="text-sm text-neutral-500">{f.label}</dt>
            <dd className="mt-1 text-2xl font-semibold tabular-nums">{f.value}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}
