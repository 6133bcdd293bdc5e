// What the local Amplify holds: apps, their branches, their jobs and a branch's served site, and how a job is
// seen (status and steps). Types only, so the parts of the state share them without importing each other.
import type { SiteFiles } from './serve';
import type { StoredZip } from './stored-zip';

export type JobStatus = 'CREATED' | 'PENDING' | 'PROVISIONING' | 'RUNNING' | 'FAILED' | 'SUCCEED' | 'CANCELLING' | 'CANCELLED';

export interface AppSettings {
  name: string;
  description: string;
  platform: string;
  repository: string;
  environmentVariables: Record<string, string>;
  enableBranchAutoBuild: boolean;
  enableBranchAutoDeletion: boolean;
  enableBasicAuth: boolean;
  enableAutoBranchCreation: boolean;
  basicAuthCredentials?: string;
  tags?: Record<string, string>;
  customRules?: { source: string; target: string; status?: string; condition?: string }[];
  buildSpec?: string;
  customHeaders?: string;
}

export interface BranchSettings {
  description: string;
  stage: string;
  displayName: string;
  framework: string;
  ttl: string;
  enableAutoBuild: boolean;
  enableNotification: boolean;
  enableBasicAuth: boolean;
  enablePullRequestPreview: boolean;
  enableSkewProtection: boolean;
  enablePerformanceMode: boolean;
  environmentVariables: Record<string, string>;
  basicAuthCredentials?: string;
  tags?: Record<string, string>;
  buildSpec?: string;
}

export interface Site {
  jobId: string;
  deployedAt: number;
  /** Kept only so the site survives a restart (persisted as a blob, re-extracted on restore). */
  zip: StoredZip;
  files?: SiteFiles;
  ready: Promise<void>;
}

export interface Job {
  jobId: string;
  createTime: number;
  /** createTime until StartDeployment, then the start. */
  startTime: number;
  /** Names the job's object in the upload bucket. */
  uploadId: string;
  zip?: StoredZip;
  startedAt?: number;
  /** What deploying the zip gave, once known (extraction is asynchronous). */
  outcome?: { ok: true; files: SiteFiles; at: number } | { ok: false; reason: string; at: number };
  final?: { status: 'SUCCEED' | 'FAILED' | 'CANCELLED'; endTime: number; reason?: string };
}

export interface Branch extends BranchSettings {
  branchName: string;
  seq: number;
  createTime: number;
  updateTime: number;
  nextJobId: number;
  jobs: Map<string, Job>;
  site?: Site;
}

export interface App extends AppSettings {
  appId: string;
  accountId: string;
  seq: number;
  createTime: number;
  updateTime: number;
  branches: Map<string, Branch>;
}

export interface StepView {
  stepName: string;
  status: JobStatus;
  startTime: number;
  endTime?: number;
  statusReason?: string;
}

export interface JobView {
  status: JobStatus;
  endTime?: number;
  steps: StepView[];
}
