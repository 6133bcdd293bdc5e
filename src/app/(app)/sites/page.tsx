import type { Metadata } from 'next';
import { EmptyState, PageHeader } from '@/components/ui/empty-state';

export const metadata: Metadata = { title: 'Sites · Huskit Sites' };

export default function SitesPage() {
  return (
    <>
      <PageHeader title="Sites" description="Your projects: edit their files and deploy them." />
      <EmptyState title="No sites yet" body="Sites you create or import will appear here." />
    </>
  );
}
