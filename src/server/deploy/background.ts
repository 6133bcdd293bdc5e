// Work that continues after the response: the runner of a new deployment (every deployment is
// enqueued by its creation, service.ts), and re-drives found by the status loop and the sweep. In a Next.js request it is handed to `after()` (see hosting.ts);
// elsewhere it simply runs detached. Either way a lost process is covered by the lease: another
// instance resumes, at the latest at its next sweep.
import { after } from 'next/server';
import { getDb } from '../db/client';
import { onServerlessHost } from '../hosting';
import { describeError } from '../http/json';
import { getEnv } from '../env';
import { listenForEvents, StatusHub } from './status-hub';
import { driveDeployment } from './runner';
import type { DeploySettings } from './settings';
import { findLapsed, SWEEP_BATCH } from './sweep';

const running = new Set<string>();

export function runInBackground(task: () => Promise<unknown>): void {
  const guarded = () => task().catch((err) => console.error('[background]', describeError(err)));
  try {
    after(guarded);
  } catch {
    void guarded();
  }
}

/**
 * Hands a deployment to its runner in this process, in the background (after the response, within a
 * request), once at a time per deployment. Creating a deployment enqueues it with its settings
 * (`createDeployment`); the status route and the cleanup enqueue one whose runner died, with this
 * process's settings.
 */
export function enqueueDeployment(deploymentId: string, settings?: DeploySettings): void {
  if (running.has(deploymentId)) return;
  running.add(deploymentId);
  runInBackground(async () => {
    try {
      await driveDeployment(await getDb(), deploymentId, { settings });
    } finally {
      running.delete(deploymentId);
    }
  });
}

/** Drives a deployment detached from any request (it may outlive one), once at a time per deployment. */
function redrive(id: string): void {
  if (running.has(id)) return;
  running.add(id);
  void getDb()
    .then((db) => driveDeployment(db, id))
    .catch((err) => console.error('[background] re-drive failed:', describeError(err)))
    .finally(() => running.delete(id));
}

const holder = globalThis as unknown as { __huskitStatusHub?: StatusHub; __huskitSweeper?: boolean };

/**
 * This process's sweep: about every DEPLOY_SWEEP_MS (jittered, so servers started together do not
 * sweep in step) it re-drives a bounded batch of deployments whose lease lapsed. Once per process;
 * not on the serverless host, whose every-minute cron sweeps instead (hosting.ts).
 */
export function startSweeper(): void {
  const everyMs = getEnv().deploySweepMs;
  if (!everyMs || onServerlessHost() || holder.__huskitSweeper) return;
  holder.__huskitSweeper = true;
  const next = () => setTimeout(tick, everyMs * (0.5 + Math.random())).unref();
  const tick = async () => {
    try {
      // What this process already drives counts against the batch: a slow platform cannot pile up work here.
      for (const id of await findLapsed(await getDb(), SWEEP_BATCH - running.size)) redrive(id);
    } catch (err) {
      console.error('[sweep]', describeError(err));
    }
    next();
  };
  next();
}

/** This process's status hub: one poller per deployment, shared by every watcher. */
export function getStatusHub(): StatusHub {
  holder.__huskitStatusHub ??= new StatusHub(getDb, {
    listen: listenForEvents,
    // Not in after(): the poller outlives any one request.
    redrive,
  });
  return holder.__huskitStatusHub;
}
