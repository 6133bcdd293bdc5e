// The vocabulary of a deployment, shared by the browser and the server.

import { PLATFORMS, type DeploymentPlatform } from './platforms';

export { DEPLOYMENT_PLATFORMS, type DeploymentPlatform } from './platforms';

export const AUTH_MODES = ['user-token', 'platform-managed'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const DEPLOYMENT_STATUSES = ['pending', 'building', 'ready', 'error', 'canceled', 'expired'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** Statuses after which nothing more happens to a deployment. */
export const TERMINAL_STATUSES: readonly DeploymentStatus[] = ['ready', 'error', 'canceled', 'expired'];

export function isTerminalStatus(status: DeploymentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export interface DeploymentResult {
  deploymentId: string;
  platform: DeploymentPlatform;
  status: DeploymentStatus;
  url?: string;
  error?: string;
}

/** One status event as the SSE stream and the log show it. */
export interface DeploymentStatusEvent {
  id: number;
  deploymentId: string;
  platform: DeploymentPlatform;
  status: DeploymentStatus;
  url?: string;
  error?: string;
  progress?: number;
  step: string;
  message: string;
  at: string;
}

/** A deployment as lists and detail views show it. */
export interface DeploymentSummary {
  id: string;
  siteId: string | null;
  chatId: string;
  platform: DeploymentPlatform;
  authMode: AuthMode;
  status: DeploymentStatus;
  step: string;
  progress: number;
  url: string | null;
  error: string | null;
  fileCount: number;
  totalSizeBytes: number;
  createdAt: Date;
  finishedAt: Date | null;
  expiresAt: Date | null;
}

/** Each platform's steps, in the order its adapter reports them, with what the deploy modal calls them. */
export const DEPLOYMENT_STEPS = Object.fromEntries(Object.entries(PLATFORMS).map(([id, p]) => [id, p.steps])) as {
  [P in DeploymentPlatform]: (typeof PLATFORMS)[P]['steps'];
};

/** A step a platform's adapter reports. */
export type PlatformStep<P extends DeploymentPlatform = DeploymentPlatform> = (typeof DEPLOYMENT_STEPS)[P][number]['id'];

/**
 * Steps the runner reports on every platform. They say what happens to the deployment, not where it
 * is: `started` (a runner took it, perhaps resuming at a later step), `retry` (the platform failed
 * transiently), and the ends `ready`, `error`, `canceled`. None of them is a platform's step name
 * (a platform's own step may well be called `start`).
 */
export const RUNNER_STEPS = ['started', 'retry', 'ready', 'error', 'canceled'] as const;
export type RunnerStep = (typeof RUNNER_STEPS)[number];

export type DeploymentStep = PlatformStep | RunnerStep;

/** Where the deploy modal shows a deployment: the furthest step reached and the highest progress. */
export interface StepProgress {
  /** Index into DEPLOYMENT_STEPS[platform]. */
  index: number;
  /** 0–100. */
  progress: number;
}

export const NO_PROGRESS: StepProgress = { index: 0, progress: 0 };

/**
 * Folds one reported step into the progress shown. Monotonic: a step the platform's list does not
 * hold (the runner's, or one added to an adapter but not here), an earlier step (a resumed or
 * retried attempt reports again from where it is), or a missing progress never moves it back.
 */
export function advanceProgress(platform: DeploymentPlatform, shown: StepProgress, event: { step: string; progress?: number | null }): StepProgress {
  const steps: readonly { id: string }[] = DEPLOYMENT_STEPS[platform];
  const at = steps.findIndex((s) => s.id === event.step);
  const progress = typeof event.progress === 'number' && Number.isFinite(event.progress) ? Math.min(100, event.progress) : 0;
  return { index: Math.max(shown.index, at), progress: Math.max(shown.progress, progress) };
}

/** The progress shown after every reported step, in the order they arrived. */
export function stepProgress(platform: DeploymentPlatform, events: readonly { step: string; progress?: number | null }[]): StepProgress {
  return events.reduce((shown, e) => advanceProgress(platform, shown, e), NO_PROGRESS);
}
