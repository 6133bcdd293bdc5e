import type { Metadata } from 'next';
import { PageHeader } from '@/components/ui/empty-state';
import { ApiKeys } from '@/components/settings/api-keys';

export const metadata: Metadata = { title: 'Settings · Huskit Sites' };

export default function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" description="Platform accounts and API keys." />
      <ApiKeys />
    </>
  );
}
