import type { Metadata } from 'next';
import { DEPLOYMENT_PLATFORMS, type DeploymentPlatform } from '@/lib/deployment';
import { PageHeader } from '@/components/ui/empty-state';
import { ApiKeys } from '@/components/settings/api-keys';
import { PasswordForm } from '@/components/settings/password-form';
import { PlatformConnections } from '@/components/settings/platform-connections';
import { Sessions } from '@/components/settings/sessions';

export const metadata: Metadata = { title: 'Settings · Huskit Sites' };

const isPlatform = (value: unknown): value is DeploymentPlatform => typeof value === 'string' && (DEPLOYMENT_PLATFORMS as readonly string[]).includes(value);

export default async function SettingsPage({ searchParams }: { searchParams: Promise<{ platform?: string | string[] }> }) {
  // `/settings?platform=amplify` opens that tab (the deploy dialog's "Connect account" can link there).
  const { platform } = await searchParams;
  return (
    <>
      <PageHeader title="Settings" description="Platform accounts, API keys, your password and sessions." />
      <PlatformConnections initialPlatform={isPlatform(platform) ? platform : 'cloudflare'} />
      <ApiKeys />
      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <PasswordForm />
        <Sessions />
      </div>
    </>
  );
}
