import type { Metadata } from 'next';
import { EmptyState, PageHeader } from '@/components/ui/empty-state';

export const metadata: Metadata = { title: 'Dashboard · Huskit Sites' };

export default function DashboardPage() {
  return (
    <>
      <PageHeader title="Deployments" description="Every site you put online, newest first." />
      <EmptyState
        title="No deployments yet"
        body="Create a site from a template or import the folder your site builder made, then deploy it with one click."
        action={{ href: '/sites', label: 'Create your first site' }}
      />
    </>
  );
}
