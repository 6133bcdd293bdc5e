// Live quick-deploy sites per platform against the shared infrastructure's limit: a bar (amber from
// 80 %, red at the limit) and the same numbers as words.
import type { DeploymentPlatform } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';
import { PlatformMark } from '@/components/ui/platform-mark';

export interface QuotaRow {
  platform: DeploymentPlatform;
  used: number;
  max: number;
}

function level(used: number, max: number): 'ok' | 'near' | 'full' {
  if (max <= 0 || used >= max) return 'full';
  return used / max >= 0.8 ? 'near' : 'ok';
}

const BAR = { ok: 'bg-accent', near: 'bg-amber-500', full: 'bg-red-600' } as const;
const WORD = {
  ok: null,
  near: { text: 'Near the limit', className: 'text-amber-700 dark:text-amber-400' },
  full: { text: 'At the limit: quick deploys are refused', className: 'text-red-700 dark:text-red-400' },
} as const;

export function QuotaBars({ quota }: { quota: QuotaRow[] }) {
  if (!quota.length) return <p className="text-sm text-neutral-500">No platform has a quick-deploy limit configured.</p>;
  return (
    <ul className="space-y-5">
      {quota.map(({ platform, used, max }) => {
        const l = level(used, max);
        const percent = max > 0 ? Math.round((used / max) * 100) : 100;
        const word = WORD[l];
        const labelId = `quota-${platform}-label`;
        return (
          <li key={platform} data-testid={`quota-${platform}`} data-level={l}>
            <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 text-sm">
              <span id={labelId} className="font-medium">
                <PlatformMark platform={platform} />
              </span>
              <span className="tabular-nums text-neutral-700 dark:text-neutral-300">
                <span data-testid={`quota-${platform}-used`}>{used}</span> of {max} live sites · {percent} %
              </span>
              {word && <span className={`font-medium ${word.className}`}>{word.text}</span>}
            </div>
            <div
              role="meter"
              aria-labelledby={labelId}
              aria-valuemin={0}
              aria-valuemax={max}
              aria-valuenow={Math.min(used, max)}
              aria-valuetext={`${used} of ${max} live ${platformInfo(platform).label} sites (${percent} %)`}
              className="mt-2 h-2.5 overflow-hidden rounded-full bg-neutral-200 dark:bg-neutral-800"
            >
              <div className={`h-full rounded-full ${BAR[l]}`} style={{ width: `${Math.min(100, percent)}%` }} />
            </div>
          </li>
        );
      })}
    </ul>
  );
}
