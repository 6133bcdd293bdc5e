import type { Metadata } from 'next';
import { isDeploymentPlatform } from '@/lib/platforms';
import { PageHeader } from '@/components/ui/empty-state';
import { ApiKeys } from '@/components/settings/api-keys';
import { PasswordForm } from '@/components/settings/password-form';
import { PlatformConnections } from '@/components/settings/platform-connections';
import { Sessions } from '@/components/settings/sessions';

export const metadata: Metadata = { title: 'Settings · Huskit Sites' };

export default async function SettingsPage({ searchParams }: { searchParams: Promise<{ platform?: string | string[] }> }) {
  // `/settings?platform=<id>` opens that tab (the deploy dialog's "Connect account" can link there).
  const { platform } = await searchParams;
  return (
    <>
      <PageHeader title="Settings" description="Platform accounts, API keys, your password and sessions." />
      <PlatformConnections initialPlatform={typeof platform === 'string' && isDeploymentPlatform(platform) ? platform : undefined} />
      <ApiKeys />
      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <PasswordForm />
        <Sessions />
      </div>
    </>
  );
}
