// A deployment as it runs: its platform's steps, the furthest one reached highlighted, and the log of
// every event it reported.
import { DEPLOYMENT_STEPS, type DeploymentPlatform, type DeploymentStatusEvent, type StepProgress } from '@/lib/deployment';
import { ProgressBar } from '@/components/ui/progress-bar';

export function DeploySteps({ platform, shown }: { platform: DeploymentPlatform; shown: StepProgress }) {
  const steps = DEPLOYMENT_STEPS[platform];
  const currentIndex = shown.index;
  return (
    <>
      <ProgressBar value={shown.progress} max={100} label="Deploying" />
      <ol className="space-y-1 text-sm" aria-label="Steps">
        {steps.map((s, i) => (
          <li key={s.id} className="flex items-center gap-2" aria-current={i === currentIndex ? 'step' : undefined}>
            <span
              aria-hidden="true"
              className={`size-2 rounded-full ${i < currentIndex ? 'bg-emerald-500' : i === currentIndex ? 'animate-pulse bg-amber-500' : 'bg-neutral-300 dark:bg-neutral-700'}`}
            />
            <span className={i === currentIndex ? 'font-medium' : 'text-neutral-500'}>{s.label}</span>
          </li>
        ))}
      </ol>
    </>
  );
}

export function DeployLog({ events }: { events: readonly DeploymentStatusEvent[] }) {
  return (
    <details className="text-sm">
      <summary className="cursor-pointer text-neutral-600 dark:text-neutral-400">Log ({events.length} lines)</summary>
      <ol className="mt-2 max-h-48 space-y-0.5 overflow-auto rounded bg-neutral-50 p-2 font-mono text-xs dark:bg-neutral-950" data-testid="deploy-log">
        {events.map((e) => (
          <li key={e.id}>{e.message}</li>
        ))}
      </ol>
    </details>
  );
}
