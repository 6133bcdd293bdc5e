// The status history of a deployment (deployment_events): recording events and reading them back.
// Each row is one SSE event whose id is the row id, so a watcher that reconnects with Last-Event-ID
// loses nothing. Recording an event also wakes its watchers (status-hub.ts): other processes through
// NOTIFY in the same statement, this process directly.
import { and, asc, eq, gt, sql, type SQLWrapper } from 'drizzle-orm';
import type { DeploymentStatus } from '@/lib/deployment';
import { rowsOf, type Db, type Tx } from '../db/client';
import { deploymentEvents } from '../db/schema';
import { announceEvent, EVENTS_CHANNEL } from './status-hub';

export interface DeploymentEventInput {
  status: DeploymentStatus;
  step: string;
  progress?: number | null;
  message: string;
}

/**
 * Writes an event and notifies every process listening, in one statement (inside a transaction the
 * notification goes out at commit). Answers the event's id.
 */
export async function insertEvent(db: Db | Tx, deploymentId: string, event: DeploymentEventInput): Promise<number> {
  const result = await db.execute(sql`
    with inserted as (
      insert into ${deploymentEvents} (deployment_id, status, step, progress, message)
      values (${deploymentId}, ${event.status}, ${event.step}, ${event.progress ?? null}, ${event.message})
      returning id, deployment_id
    )
    select id, pg_notify(${EVENTS_CHANNEL}, deployment_id::text || ':' || id::text) from inserted`);
  return Number(rowsOf<{ id: number | string }>(result)[0]!.id);
}

/**
 * Writes the event only if `guard` (an UPDATE of the deployment … RETURNING, in the same statement;
 * drizzle puts a query it is given in parentheses) changed its row, and notifies as `recordEvent`
 * does; answers whether it did. One round trip where the runner's progress (its step, then the event) took two.
 */
export async function recordEventIf(db: Db, deploymentId: string, event: DeploymentEventInput, guard: SQLWrapper): Promise<boolean> {
  const result = await db.execute(sql`
    with guard as ${guard},
    inserted as (
      insert into ${deploymentEvents} (deployment_id, status, step, progress, message)
      select ${deploymentId}, ${event.status}, ${event.step}, ${event.progress ?? null}, ${event.message} from guard limit 1
      returning id, deployment_id
    )
    select id, pg_notify(${EVENTS_CHANNEL}, deployment_id::text || ':' || id::text) from inserted`);
  const [row] = rowsOf<{ id: number | string }>(result);
  if (row) announceEvent(deploymentId, Number(row.id));
  return row !== undefined;
}

/** Records an event. Inside a transaction the row is not visible yet: the caller announces it after commit. */
export async function recordEvent(db: Db | Tx, deploymentId: string, event: DeploymentEventInput): Promise<void> {
  const id = await insertEvent(db, deploymentId, event);
  if (!('rollback' in db)) announceEvent(deploymentId, id);
}

export async function eventsAfter(db: Db, deploymentId: string, afterId = 0) {
  return db
    .select()
    .from(deploymentEvents)
    .where(and(eq(deploymentEvents.deploymentId, deploymentId), gt(deploymentEvents.id, afterId)))
    .orderBy(asc(deploymentEvents.id));
}
