// The deploy modal's steps: every step name an adapter or the runner reports, in order and out of
// order, never moves the progress shown backwards.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  advanceProgress,
  DEPLOYMENT_PLATFORMS,
  DEPLOYMENT_STEPS,
  NO_PROGRESS,
  RUNNER_STEPS,
  stepProgress,
  type DeploymentPlatform,
  type StepProgress,
} from './deployment';

/**
 * The step names a source file reports: the first argument of each `report(` call, a string literal
 * or a variable whose `const` yields literals (`const step = … ? 'upload' : 'activate'`), and the
 * `step:` given to the shared upload loop.
 */
function reportedSteps(path: string): string[] {
  const source = readFileSync(path, 'utf8');
  const names = new Set<string>();
  for (const [, step] of source.matchAll(/\bstep: '([^']+)'/g)) names.add(step!);
  for (const [, literal, variable] of source.matchAll(/\breport\(\s*(?:'([^']+)'|([A-Za-z_]\w*))\s*,/g)) {
    if (literal) names.add(literal);
    if (variable) {
      const decl = new RegExp(`const ${variable}\\s*=([^;]+);`).exec(source);
      expect(decl, `${path} reports the variable ${variable}: its const declaration should say which steps it holds`).toBeTruthy();
      // The values it may take: the literals a `?:` (or a plain assignment) yields, not the ones it compares.
      for (const [, s] of decl![1]!.matchAll(/(?:^|[?:])\s*'([^']+)'/g)) names.add(s!);
    }
  }
  return [...names];
}

/** Every step the source files of a platform's server folder report (tests aside). */
const folderSteps = (platform: DeploymentPlatform) => {
  const dir = `src/server/platforms/${platform}`;
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'static-only-examples.ts');
  return [...new Set(files.flatMap((f) => reportedSteps(`${dir}/${f}`)))];
};
const ADAPTER_STEPS = Object.fromEntries(DEPLOYMENT_PLATFORMS.map((p) => [p, folderSteps(p)])) as Record<DeploymentPlatform, string[]>;
/** What the runner itself records, besides the adapter's steps: `start`, `retry`, the ends. */
const RUNNER_SOURCE_STEPS = [...readFileSync('src/server/deploy/runner.ts', 'utf8').matchAll(/step: (?:[^,]*\? )?\(?'([^']+)'/g)].map((m) => m[1]!);

/** A small seeded generator: the same shuffles every run, many of them. */
function random(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function expectNeverBackwards(platform: DeploymentPlatform, events: { step: string; progress?: number | null }[]): StepProgress {
  let shown = NO_PROGRESS;
  for (const event of events) {
    const next = advanceProgress(platform, shown, event);
    expect(next.index, `${platform}: "${event.step}" after step ${shown.index}`).toBeGreaterThanOrEqual(shown.index);
    expect(next.progress, `${platform}: "${event.step}" (${event.progress}) after ${shown.progress}%`).toBeGreaterThanOrEqual(shown.progress);
    shown = next;
  }
  return shown;
}

describe.each(DEPLOYMENT_PLATFORMS)('%s', (platform) => {
  const ids: string[] = DEPLOYMENT_STEPS[platform].map((s) => s.id);

  it('the adapter reports steps, and every one of them is in the shared list', () => {
    expect(ADAPTER_STEPS[platform].length).toBeGreaterThan(1);
    expect(ADAPTER_STEPS[platform].filter((s) => !ids.includes(s))).toEqual([]);
    // And the modal lists no step the platform never reports.
    expect(ids.slice(1).filter((id) => !ADAPTER_STEPS[platform].includes(id))).toEqual([]);
  });

  it("in the list order, with the runner's started and retry between: each step reached in turn, never back to Queued", () => {
    const events = ids.slice(1).flatMap((step, i) => [
      { step: 'started', progress: 0 },
      { step, progress: 10 + i * 10 },
      { step: 'retry', progress: null },
    ]);
    expectNeverBackwards(platform, events);
    for (const [i, step] of ids.slice(1).entries())
      expect(stepProgress(platform, events.slice(0, 3 * (i + 1))).index, `after "${step}" and a retry`).toBe(i + 1);
    expect(stepProgress(platform, events)).toEqual({ index: ids.length - 1, progress: 10 + (ids.length - 2) * 10 });
  });

  it('out of order (500 shuffles of every adapter, runner and unknown step): progress never decreases', () => {
    const names = [...new Set([...ADAPTER_STEPS[platform], ...RUNNER_SOURCE_STEPS, ...RUNNER_STEPS, 'queued', 'a-step-nobody-listed'])];
    const next = random(14);
    for (let round = 0; round < 500; round++) {
      const events = Array.from({ length: 12 }, () => ({
        step: names[Math.floor(next() * names.length)]!,
        progress: next() < 0.2 ? null : Math.floor(next() * 101),
      }));
      expectNeverBackwards(platform, events);
    }
  });
});

it('the runner records started and retry, which no platform uses as a step name and every platform shows without moving', () => {
  expect(RUNNER_SOURCE_STEPS).toEqual(expect.arrayContaining(['started', 'retry', 'ready', 'error']));
  expect(RUNNER_SOURCE_STEPS.filter((s) => !(RUNNER_STEPS as readonly string[]).includes(s))).toEqual([]);
  for (const platform of DEPLOYMENT_PLATFORMS) expect(DEPLOYMENT_STEPS[platform].filter((s) => (RUNNER_STEPS as readonly string[]).includes(s.id))).toEqual([]);
  // A resumed Amplify deployment: the runner's start, then the adapter again from the app.
  const amplify = stepProgress('amplify', [
    { step: 'queued', progress: 0 },
    { step: 'started', progress: 0 },
    { step: 'app', progress: 5 },
    { step: 'branch', progress: 10 },
    { step: 'jobs', progress: 14 },
    { step: 'zip', progress: 20 },
    { step: 'retry', progress: null },
    { step: 'started', progress: 20 },
    { step: 'app', progress: 5 },
    { step: 'jobs', progress: 12 },
  ]);
  expect(DEPLOYMENT_STEPS.amplify[amplify.index]?.id).toBe('zip');
  expect(amplify.progress).toBe(20);
});
