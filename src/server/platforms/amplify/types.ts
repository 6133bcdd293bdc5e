// What Amplify's control plane answers, as the product reads it (the Amplify API Reference and
// @aws-sdk/client-amplify's model), and the credentials it is called with.

export interface AmplifyCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** The session token of temporary credentials (an access key ID starting with ASIA), sent as X-Amz-Security-Token. */
  sessionToken?: string;
  region: string;
  /** An existing app to deploy into; without it (user-token) an app is created for the site. */
  appId?: string;
}

export type JobStatus = 'CREATED' | 'PENDING' | 'PROVISIONING' | 'RUNNING' | 'FAILED' | 'SUCCEED' | 'CANCELLING' | 'CANCELLED';
/** Jobs that block CreateDeployment on their branch until they finish or are stopped (CreateDeployment's "last job was not finished" refusal). */
export const UNFINISHED_JOB_STATUSES: ReadonlySet<string> = new Set(['CREATED', 'PENDING', 'PROVISIONING', 'RUNNING']);
export const TERMINAL_JOB_STATUSES: ReadonlySet<string> = new Set(['SUCCEED', 'FAILED', 'CANCELLED']);

export interface AmplifyApp {
  appId: string;
  name: string;
  description?: string;
  /** `{appId}.amplifyapp.com`: a branch is served at `{displayName}.{defaultDomain}`. */
  defaultDomain: string;
  /** App-wide rewrites and redirects (Amplify has no per-branch rules). */
  customRules?: CustomRule[];
}

export interface CustomRule {
  source: string;
  target: string;
  status?: string;
}

export interface AmplifyBranch {
  branchName: string;
  /** The branch's host prefix, derived by Amplify from the name unless set (Branch.displayName). */
  displayName: string;
  stage?: string;
}

export interface JobSummary {
  jobId: string;
  status: string;
  jobType?: string;
}

export interface AmplifyJob {
  summary: JobSummary;
  steps: { stepName: string; status: string; statusReason?: string }[];
}

export interface CreatedDeployment {
  jobId: string;
  zipUploadUrl: string;
}
