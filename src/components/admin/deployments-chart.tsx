// Deployments per day (UTC) as a small inline SVG bar chart, with its summary in words and the
// numbers as a table under a disclosure (what a screen reader reads instead of the bars).
import type { DeploymentPlatform } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';
import { shortDay } from './format';

const DAY = 24 * 60 * 60 * 1000;

export interface DayRow {
  day: string;
  platform: DeploymentPlatform;
  n: number;
}

interface Day {
  day: string;
  total: number;
  byPlatform: Partial<Record<DeploymentPlatform, number>>;
}

/** The last `days` UTC days, oldest first, today last; days without deployments count 0. */
export function dailyTotals(rows: DayRow[], days: number, now: Date): Day[] {
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(now.getTime() - (days - 1 - i) * DAY).toISOString().slice(0, 10);
    const byPlatform: Day['byPlatform'] = {};
    let total = 0;
    for (const r of rows) {
      if (r.day !== day) continue;
      byPlatform[r.platform] = (byPlatform[r.platform] ?? 0) + r.n;
      total += r.n;
    }
    return { day, total, byPlatform };
  });
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function breakdown(d: Day): string {
  const parts = Object.entries(d.byPlatform).map(([p, n]) => `${platformInfo(p as DeploymentPlatform).label} ${n}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export function DeploymentsChart({ rows, days, now }: { rows: DayRow[]; days: number; now: Date }) {
  const series = dailyTotals(rows, days, now);
  const total = series.reduce((s, d) => s + d.total, 0);
  const today = series.at(-1)!;
  const busiest = series.reduce((best, d) => (d.total > best.total ? d : best), series[0]!);
  const max = Math.max(1, busiest.total);
  const platforms = [...new Set(rows.map((r) => r.platform))];

  const W = 8; // bar width
  const GAP = 3;
  const H = 64;
  const width = series.length * (W + GAP) - GAP;

  const summary =
    total === 0
      ? `No deployments in the last ${days} days.`
      : `${plural(total, 'deployment')} in the last ${days} days, ${today.total} today. Busiest day: ${shortDay(busiest.day)} with ${busiest.total}.`;

  return (
    <figure>
      <svg
        viewBox={`0 0 ${width} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Deployments per day, last ${days} days. ${summary}`}
        className="h-24 w-full"
        data-testid="deployments-chart"
      >
        {series.map((d, i) => {
          const h = d.total === 0 ? 1 : Math.max(2, (d.total / max) * (H - 2));
          return (
            <rect
              key={d.day}
              x={i * (W + GAP)}
              y={H - h}
              width={W}
              height={h}
              rx={1}
              className={d.total === 0 ? 'fill-neutral-200 dark:fill-neutral-800' : i === series.length - 1 ? 'fill-accent-strong' : 'fill-accent'}
            >
              <title>{`${shortDay(d.day)}: ${plural(d.total, 'deployment')}${breakdown(d)}`}</title>
            </rect>
          );
        })}
      </svg>
      <div className="mt-1 flex justify-between text-xs text-neutral-500 tabular-nums" aria-hidden="true">
        <span>{shortDay(series[0]!.day)}</span>
        <span>max {busiest.total} a day</span>
        <span>today</span>
      </div>
      <figcaption className="mt-3 text-sm text-neutral-700 dark:text-neutral-300" data-testid="deployments-summary">
        {summary}
      </figcaption>
      <details className="mt-2 text-sm">
        <summary className="cursor-pointer rounded text-neutral-600 focus-visible:outline-2 focus-visible:outline-accent dark:text-neutral-400">
          Show the numbers
        </summary>
        <div className="mt-2 max-h-64 overflow-auto">
          <table className="w-full text-left tabular-nums">
            <thead className="text-xs text-neutral-500">
              <tr>
                <th scope="col" className="py-1 pr-4 font-medium">
                  Day (UTC)
                </th>
                <th scope="col" className="py-1 pr-4 font-medium">
                  Total
                </th>
                {platforms.map((p) => (
                  <th key={p} scope="col" className="py-1 pr-4 font-medium">
                    {platformInfo(p).label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-neutral-100 dark:divide-neutral-800">
              {[...series].reverse().map((d) => (
                <tr key={d.day}>
                  <th scope="row" className="py-1 pr-4 font-normal">
                    {d.day}
                  </th>
                  <td className="py-1 pr-4">{d.total}</td>
                  {platforms.map((p) => (
                    <td key={p} className="py-1 pr-4">
                      {d.byPlatform[p] ?? 0}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
