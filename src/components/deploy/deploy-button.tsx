'use client';
// The Deploy button: a menu of the four platforms (with whether an account is connected), opening
// the deploy modal for the one chosen.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { DEPLOYMENT_PLATFORMS, platformInfo, type DeploymentPlatform } from '@/lib/platforms';
import { useTRPC } from '@/trpc/react';
import { PlatformMark } from '@/components/ui/platform-mark';
import { DeployModal } from './deploy-modal';

export function DeployButton({ projectId, disabled }: { projectId: string; disabled?: boolean }) {
  const trpc = useTRPC();
  const connections = useQuery(trpc.connections.list.queryOptions());
  const [open, setOpen] = useState(false);
  const [platform, setPlatform] = useState<DeploymentPlatform | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (open) menu.current?.querySelector<HTMLElement>('[role=menuitem]:not([aria-disabled=true])')?.focus();
  }, [open]);

  const connected = (p: DeploymentPlatform) => connections.data?.some((c) => c.platform === p) ?? false;

  return (
    <div className="relative">
      <button
        ref={button}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        disabled={disabled}
        onClick={() => setOpen((o) => !o)}
        className="rounded-md bg-accent px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
      >
        Deploy ▾
      </button>
      {open && (
        <ul
          ref={menu}
          role="menu"
          aria-label="Deploy to"
          className="absolute right-0 z-20 mt-1 w-64 rounded-md border border-neutral-200 bg-white p-1 shadow-lg dark:border-neutral-700 dark:bg-neutral-900"
          onKeyDown={(e) => {
            const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
            const i = items.indexOf(document.activeElement as HTMLElement);
            if (e.key === 'ArrowDown') items[(i + 1) % items.length]?.focus();
            if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length]?.focus();
            if (e.key === 'Escape') {
              setOpen(false);
              button.current?.focus();
            }
            if (e.key.startsWith('Arrow')) e.preventDefault();
          }}
        >
          {DEPLOYMENT_PLATFORMS.map((p) => {
            return (
              <li key={p} role="none">
                <button
                  type="button"
                  role="menuitem"
                  onClick={() => {
                    setOpen(false);
                    setPlatform(p);
                  }}
                  className="flex w-full items-center justify-between rounded px-2 py-2 text-left text-sm hover:bg-neutral-100 focus-visible:bg-neutral-100 focus-visible:outline-none aria-disabled:cursor-not-allowed aria-disabled:opacity-50 dark:hover:bg-neutral-800 dark:focus-visible:bg-neutral-800"
                >
                  <PlatformMark platform={p} />
                  <span className="text-xs text-neutral-500">{connected(p) ? 'connected' : platformInfo(p).quickDeploy ? '' : 'your account'}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {platform && (
        <DeployModal
          projectId={projectId}
          platform={platform}
          connected={connected(platform)}
          onClose={() => {
            setPlatform(null);
            button.current?.focus();
          }}
        />
      )}
    </div>
  );
}
