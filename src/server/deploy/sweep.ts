// The sweep: every unfinished deployment whose lease has lapsed is driven again, so a deployment
// finishes even when the server that started it died and nobody polls or watches it. It runs every
// minute from the host's cron (/api/cron/sweep, hosting.ts) and on an interval in every Node server process
// (background.ts). Several sweeps may find the same row: the runner's lease (one conditional UPDATE)
// lets exactly one of them work it, the others skip it.
import { asc } from 'drizzle-orm';
import type { Db } from '../db/client';
import { deployments } from '../db/schema';
import { needsRunner } from './lease';
import { driveDeployment } from './runner';
import type { DeploySettings } from './settings';

/** Deployments one sweep takes on at most. */
export const SWEEP_BATCH = 10;

/** Unfinished deployments nobody holds, oldest first (the database's clock decides "lapsed"). */
export async function findLapsed(db: Db, limit: number = SWEEP_BATCH): Promise<string[]> {
  if (limit <= 0) return [];
  const rows = await db.select({ id: deployments.id }).from(deployments).where(needsRunner()).orderBy(asc(deployments.createdAt)).limit(limit);
  return rows.map((r) => r.id);
}

export interface SweepReport {
  /** Lapsed deployments found. */
  found: number;
  /** Of those, the ones this sweep claimed and worked to the end (ready, error or taken over). */
  worked: number;
}

/**
 * One sweep, awaited: finds a batch of lapsed deployments and drives them side by side (`drive`, else
 * the runner with `settings`, this process's unless given).
 */
export async function sweepDeployments(
  db: Db,
  options: { batch?: number; drive?: (db: Db, id: string) => Promise<'worked' | 'skipped'>; settings?: DeploySettings } = {},
): Promise<SweepReport> {
  const drive = options.drive ?? ((d, id) => driveDeployment(d, id, { settings: options.settings }));
  const ids = await findLapsed(db, options.batch ?? SWEEP_BATCH);
  const results = await Promise.all(ids.map((id) => drive(db, id)));
  return { found: ids.length, worked: results.filter((r) => r === 'worked').length };
}
