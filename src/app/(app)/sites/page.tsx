import type { Metadata } from 'next';
import { PageHeader } from '@/components/ui/empty-state';
import { SitesPage } from '@/components/sites/sites-page';

export const metadata: Metadata = { title: 'Sites · Huskit Sites' };

export default function Sites() {
  return (
    <>
      <PageHeader title="Sites" description="Your projects: edit their files and deploy them." />
      <SitesPage />
    </>
  );
}
