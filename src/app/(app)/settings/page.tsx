import type { Metadata } from 'next';
import { DEPLOYMENT_PLATFORMS, type DeploymentPlatform } from '@/lib/deployment';
import { PageHeader } from '@/components/ui/empty-state';
import { ApiKeys } from '@/components/settings/api-keys';
import { PlatformConnections } from '@/components/settings/platform-connections';

export const metadata: Metadata = { title: 'Settings · Huskit Sites' };

const isPlatform = (value: unknown): value is DeploymentPlatform => typeof value === 'string' && (DEPLOYMENT_PLATFORMS as readonly string[]).includes(value);

export default async function SettingsPage({ searchParams }: { searchParams: Promise<{ platform?: string | string[] }> }) {
  // `/settings?platform=amplify` opens that tab (the deploy dialog's "Connect account" can link there).
  const { platform } = await searchParams;
  return (
    <>
      <PageHeader title="Settings" description="Platform accounts and API keys." />
      <PlatformConnections initialPlatform={isPlatform(platform) ? platform : 'cloudflare'} />
      <ApiKeys />
    </>
  );
}
