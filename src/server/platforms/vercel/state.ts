// What a Vercel deployment keeps between attempts, and the context its steps share.
import type { DeployContext } from '../adapter';
import type { VercelCredentials } from './client';

/** What earlier attempts of this deployment finished; also what a later rollback reads (rollbackTo). */
export interface VercelCheckpoint {
  projectId?: string;
  /** The project's owner (team or user id), for the site's target. */
  accountId?: string;
  /** Null once it failed on Vercel's side, so the next attempt makes a new one. */
  deploymentId?: string | null;
  /** When the deployment was created (ms), so that the polling limit spans resumed attempts. */
  startedAt?: number;
}

export type Ctx = DeployContext<VercelCredentials>;
