// What a Netlify deployment keeps between attempts, and the context its steps share.
import type { DeployContext } from '../adapter';
import type { NetlifyCredentials } from './client';

/** What earlier attempts of this deployment finished; { siteId, deployId } is also what a rollback restores. */
export interface NetlifyCheckpoint {
  siteId?: string;
  accountSlug?: string;
  /** The deploy of this deployment once created; null after it failed, so the next attempt makes a new one. */
  deployId?: string | null;
  /** The deploy whose required files were all uploaded, so a resumed attempt does not send them again. */
  uploadedDeployId?: string;
}

export type Ctx = DeployContext<NetlifyCredentials>;
