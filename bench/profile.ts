// A CPU profile of the bench server over one phase (the inspector's sampling profiler, in process),
// summed into where the time went: by package or source folder, and the busiest functions.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by where the code lives: a package, a folder of src/, node internals, GC, idle. */
  byPlace: { place: string; ms: number; share: number }[];
  topFunctions: { fn: string; place: string; ms: number }[];
}

const session = new Session();
session.connect();

export async function startProfile(): Promise<void> {
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
}

function placeOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/(src\/[^/]+\/[^/]+|bench)\//.exec(url);
  if (src) return src[1]!;
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^.*\//, '');
}

export async function stopProfile(): Promise<ProfileSummary> {
  const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
  // BENCH_PROFILE_DIR keeps each raw profile (open it in Chrome's DevTools, Performance tab) to see who calls what.
  if (process.env.BENCH_PROFILE_DIR)
    writeFileSync(
      path.join(process.env.BENCH_PROFILE_DIR, `${process.env.BENCH_SERVER ? 'server' : 'bench'}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`),
      JSON.stringify(profile),
    );
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const places = new Map<string, number>();
  const fns = new Map<string, { place: string; us: number }>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const place = placeOf(url, functionName || '(anonymous)');
    places.set(place, (places.get(place) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\//, '')}:${lineNumber + 1}` : ''}`.trim();
    const f = fns.get(key) ?? { place, us: 0 };
    f.us += us;
    fns.set(key, f);
    total += us;
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    totalMs: ms(total),
    byPlace: [...places]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([place, us]) => ({ place, ms: ms(us), share: Math.round((1000 * us) / total) / 10 })),
    topFunctions: [...fns]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, 20)
      .map(([fn, f]) => ({ fn, place: f.place, ms: ms(f.us) })),
  };
}
