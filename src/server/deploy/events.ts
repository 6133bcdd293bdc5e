// The status history of a deployment (deployment_events): each row is one SSE event, its id the
// event id, so a watcher that reconnects with Last-Event-ID loses nothing.
import { and, asc, eq, gt } from 'drizzle-orm';
import type { DeploymentStatus } from '@/lib/deployment';
import type { Db, Tx } from '../db/client';
import { deploymentEvents } from '../db/schema';

export interface DeploymentEventInput {
  status: DeploymentStatus;
  step: string;
  progress?: number | null;
  message: string;
}

export async function recordEvent(db: Db | Tx, deploymentId: string, event: DeploymentEventInput): Promise<void> {
  await db.insert(deploymentEvents).values({ deploymentId, status: event.status, step: event.step, progress: event.progress ?? null, message: event.message });
}

export async function eventsAfter(db: Db, deploymentId: string, afterId = 0) {
  return db
    .select()
    .from(deploymentEvents)
    .where(and(eq(deploymentEvents.deploymentId, deploymentId), gt(deploymentEvents.id, afterId)))
    .orderBy(asc(deploymentEvents.id));
}
