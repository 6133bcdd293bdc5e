// What an Amplify deployment keeps between attempts, and the context its steps share.
import type { DeployContext } from '../adapter';
import type { AmplifyCredentials } from './types';

/** What earlier attempts of this deployment finished. */
export interface AmplifyCheckpoint {
  appId?: string;
  domain?: string;
  branch?: string;
  displayName?: string;
  /** The job of this deployment, once CreateDeployment answered; null after it was given up. */
  jobId?: string | null;
  /** StartDeployment answered for jobId: a resumed attempt only polls it. */
  started?: boolean;
  /** When it was started (ms), so that the polling limit spans resumed attempts. */
  startedAt?: number;
}

export type Ctx = DeployContext<AmplifyCredentials>;
