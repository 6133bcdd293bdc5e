// Work that continues after the response: the runner of a new deployment, and re-drives found by the
// status loop. In a Next.js request it is handed to `after()` (waitUntil on Vercel); elsewhere it
// simply runs detached. Either way a lost process is covered by the lease: another instance resumes.
import { after } from 'next/server';
import { getDb, getDbHandle } from '../db/client';
import { describeError } from '../http/json';
import { getEnv } from '../env';
import { AppError } from '../errors';
import { EVENTS_CHANNEL, openStatusStream, StatusHub, StreamSlots } from './events';
import { driveDeployment } from './runner';

const running = new Set<string>();

export function runInBackground(task: () => Promise<unknown>): void {
  const guarded = () => task().catch((err) => console.error('[background]', describeError(err)));
  try {
    after(guarded);
  } catch {
    void guarded();
  }
}

/** Drives a deployment in this process, once at a time per deployment. */
export function startRunner(deploymentId: string): void {
  if (running.has(deploymentId)) return;
  running.add(deploymentId);
  runInBackground(async () => {
    try {
      await driveDeployment(await getDb(), deploymentId);
    } finally {
      running.delete(deploymentId);
    }
  });
}

/** Events recorded by other server processes, as NOTIFY `{deploymentId}:{eventId}`. */
export async function listenForEvents(wake: (deploymentId: string, eventId?: number) => void, lost: (err: Error) => void) {
  const handle = await getDbHandle();
  return handle.listen(
    EVENTS_CHANNEL,
    (payload) => {
      const [deploymentId, eventId] = payload.split(':');
      if (deploymentId) wake(deploymentId, Number(eventId) || undefined);
    },
    lost,
  );
}

const holder = globalThis as unknown as { __huskitStatusHub?: StatusHub };

/** This process's status hub: one poller per deployment, shared by every watcher. */
export function getStatusHub(): StatusHub {
  holder.__huskitStatusHub ??= new StatusHub(getDb, {
    listen: listenForEvents,
    // Not in after(): the poller outlives any one request.
    redrive: (id) => {
      if (running.has(id)) return;
      running.add(id);
      void getDb()
        .then((db) => driveDeployment(db, id))
        .catch((err) => console.error('[status] re-drive failed:', describeError(err)))
        .finally(() => running.delete(id));
    },
  });
  return holder.__huskitStatusHub;
}

const slots = new StreamSlots(() => getEnv().maxSseStreamsPerUser);

/**
 * The live SSE stream of one of the user's deployments (null when it is not theirs), within the
 * user's number of open streams in this process.
 */
export async function streamDeployment(userId: string, deploymentId: string, afterId: number, signal: AbortSignal) {
  const release = slots.acquire(userId);
  if (!release)
    throw new AppError(
      'TOO_MANY_REQUESTS',
      `You already follow ${getEnv().maxSseStreamsPerUser} deployments live. Close some tabs or deploy modals, or poll the status URL instead.`,
    ).withAction('wait', 5);
  try {
    const stream = await openStatusStream(getStatusHub(), deploymentId, userId, afterId, { signal, maxMs: 280_000, onClose: release });
    if (!stream) release();
    return stream;
  } catch (err) {
    release();
    throw err;
  }
}
