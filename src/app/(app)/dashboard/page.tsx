import type { Metadata } from 'next';
import { DeploymentsTable } from '@/components/deployments/deployments-table';
import { PageHeader } from '@/components/ui/empty-state';

export const metadata: Metadata = { title: 'Dashboard · Huskit Sites' };

export default function DashboardPage() {
  return (
    <>
      <PageHeader title="Deployments" description="Every site you put online, newest first." />
      <DeploymentsTable />
    </>
  );
}
