'use client';
// Settings → Platform accounts: one tab per platform; a connected platform shows its account, the
// others the form to connect one, each beside short help on which credentials to make.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { DEPLOYMENT_PLATFORMS, platformInfo, type DeploymentPlatform } from '@/lib/platforms';
import { PlatformMark } from '@/components/ui/platform-mark';
import { useTRPC } from '@/trpc/react';
import { ConnectionCard } from './connection-card';
import { ConnectionForm, type Connection } from './connection-form';
import { Tabs } from './platform-tabs';

export function PlatformConnections({ initialPlatform = DEPLOYMENT_PLATFORMS[0]! }: { initialPlatform?: DeploymentPlatform }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.connections.list.queryOptions());
  const [selected, setSelected] = useState<DeploymentPlatform>(initialPlatform);
  const [announcement, setAnnouncement] = useState('');

  const select = (platform: DeploymentPlatform) => {
    setSelected(platform);
    // A reload (or a link from the deploy dialog: /settings?platform=<id>) opens the same tab.
    const url = new URL(window.location.href);
    url.searchParams.set('platform', platform);
    window.history.replaceState(window.history.state, '', url);
  };

  const setConnections = (update: (current: Connection[]) => Connection[]) => {
    queryClient.setQueryData(trpc.connections.list.queryKey(), (current) => update(current ?? []));
    void queryClient.invalidateQueries({ queryKey: trpc.connections.list.queryKey() });
  };

  const items = DEPLOYMENT_PLATFORMS.map((platform) => {
    const connection = list.data?.find((c) => c.platform === platform);
    return {
      key: platform,
      label: (
        <>
          <PlatformMark platform={platform} />
          {connection && (
            <span className="inline-flex items-center gap-1 text-xs font-normal text-emerald-700 dark:text-emerald-400">
              <span className="size-1.5 rounded-full bg-emerald-500" aria-hidden="true" />
              Connected
            </span>
          )}
        </>
      ),
      panel: (
        <ConnectablePanel
          platform={platform}
          connection={connection}
          loading={list.isPending}
          loadError={list.isError ? list.error.message : null}
          onRetry={() => void list.refetch()}
          announce={setAnnouncement}
          setConnections={setConnections}
        />
      ),
    };
  });

  return (
    <section
      aria-labelledby="platform-accounts-heading"
      className="mb-8 rounded-lg border border-neutral-200 bg-white p-5 dark:border-neutral-800 dark:bg-neutral-900"
    >
      <h2 id="platform-accounts-heading" className="text-base font-medium">
        Platform accounts
      </h2>
      <p className="mt-1 mb-4 text-sm text-neutral-600 dark:text-neutral-400">
        Quick deploys use Huskit’s shared infrastructure and expire after a while. Connect your own account to deploy there instead.
      </p>
      <Tabs label="Platforms" items={items} selected={selected} onSelect={select} />
      <p aria-live="polite" className="sr-only">
        {announcement}
      </p>
    </section>
  );
}

function ConnectablePanel({
  platform,
  connection,
  loading,
  loadError,
  onRetry,
  announce,
  setConnections,
}: {
  platform: DeploymentPlatform;
  connection: Connection | undefined;
  loading: boolean;
  loadError: string | null;
  onRetry: () => void;
  announce: (message: string) => void;
  setConnections: (update: (current: Connection[]) => Connection[]) => void;
}) {
  const [replacing, setReplacing] = useState(false);
  // Where focus goes after the view changes under it (connect, replace, disconnect).
  const [moved, setMoved] = useState(false);
  const label = platformInfo(platform).label;

  const upsert = (updated: Connection) => setConnections((current) => [...current.filter((c) => c.platform !== updated.platform), updated]);

  let body: React.ReactNode;
  if (loading) {
    body = (
      <div aria-busy="true" className="space-y-3" role="status">
        <span className="sr-only">Loading your {label} connection…</span>
        <div className="h-5 w-1/2 animate-pulse rounded bg-neutral-200 dark:bg-neutral-800" />
        <div className="h-9 animate-pulse rounded bg-neutral-200 dark:bg-neutral-800" />
        <div className="h-9 animate-pulse rounded bg-neutral-200 dark:bg-neutral-800" />
      </div>
    );
  } else if (loadError) {
    body = (
      <div
        role="alert"
        className="rounded-md border border-red-300 bg-red-50 px-3 py-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200"
      >
        <p>Your connections could not be loaded: {loadError}</p>
        <button
          type="button"
          onClick={onRetry}
          className="mt-2 rounded-md border border-red-300 bg-white px-3 py-1.5 text-sm dark:border-red-800 dark:bg-red-900"
        >
          Try again
        </button>
      </div>
    );
  } else if (connection && !replacing) {
    body = (
      <ConnectionCard
        connection={connection}
        focusOnMount={moved}
        announce={announce}
        onChanged={upsert}
        onReplace={() => {
          setReplacing(true);
          setMoved(true);
        }}
        onRemoved={() => {
          setMoved(true);
          setConnections((current) => current.filter((c) => c.id !== connection.id));
        }}
      />
    );
  } else {
    body = (
      <ConnectionForm
        platform={platform}
        replacing={replacing ? connection : undefined}
        focusOnMount={moved}
        onCancel={
          replacing
            ? () => {
                setReplacing(false);
                setMoved(true);
              }
            : undefined
        }
        onConnected={(saved) => {
          upsert(saved);
          setReplacing(false);
          setMoved(true);
          announce(platformInfo(platform).connectedMessage(saved.accountFacts));
        }}
      />
    );
  }

  const Help = platformInfo(platform).help;
  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_24rem]">
      <div>{body}</div>
      <Help />
    </div>
  );
}
