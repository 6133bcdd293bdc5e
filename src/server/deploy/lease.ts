// The runner's lease on a deployment: exactly one process works it until `lease_until`. Whether a
// lease has lapsed is decided by the database's clock alone (`now()`), never by a server's: servers'
// clocks drift, the database's is the one every runner, sweep, watcher and cleanup shares.
import { and, inArray, sql, type SQL } from 'drizzle-orm';
import { deployments } from '../db/schema';

/** Unfinished: a runner may still take it. */
export const UNFINISHED_STATUSES = ['pending', 'building'] as const;

/** The one stale-lease rule, on the database clock: no runner has taken it yet, or its lease ran out. */
export function leaseLapsed(): SQL {
  return sql`(${deployments.leaseUntil} is null or ${deployments.leaseUntil} < now())`;
}

/** Unfinished and held by no live runner: any process may take it over (and should, to finish it). */
export function needsRunner(): SQL {
  return and(inArray(deployments.status, [...UNFINISHED_STATUSES]), leaseLapsed())!;
}

/** `needsRunner()` as a column of a select, for code that reads the row anyway (the status route, the status hub). */
export const needsRunnerColumn = () => sql<boolean>`${needsRunner()}`.as('needs_runner');
