// Apps, branches and jobs of the local Amplify, each app owned by one AWS account. A started job's
// progress is computed from timestamps on the emulator clock (PENDING for one jobStepMs, RUNNING for
// another, then SUCCEED/FAILED), so moving the clock moves jobs; timers only make the outcome land
// (and be persisted) without anyone asking.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { AwsIdentity } from './config';
import type { EmulatorServices, PersistedState } from '../platform';
import { badRequest, limitExceeded, notFound } from './errors';
import { extractZip, type SiteFiles } from './serve';

export type JobStatus = 'CREATED' | 'PENDING' | 'PROVISIONING' | 'RUNNING' | 'FAILED' | 'SUCCEED' | 'CANCELLING' | 'CANCELLED';
const UNFINISHED: ReadonlySet<JobStatus> = new Set(['CREATED', 'PENDING', 'PROVISIONING', 'RUNNING', 'CANCELLING']);
/** CreateDeployment → StartDeployment must happen within 8 hours (CreateDeployment's model documentation). */
export const DEPLOY_WINDOW_MS = 8 * 60 * 60 * 1000;

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

export interface StoredZip {
  bytes: Buffer;
  /** Content address, also the blob name when persisted. */
  sha256: string;
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

/** `feature/My_Site` → `feature-my-site` (Branch.displayName's derivation; no collapsing or trimming is known). */
export function deriveDisplayName(branchName: string): string {
  return branchName.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

function newAppId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = 'd';
  for (let i = 0; i < 13; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

function storeZip(bytes: Buffer): StoredZip {
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const blobKey = (zip: StoredZip) => `amplify-${zip.sha256}.zip`;

export class AmplifyState {
  readonly apps = new Map<string, App>();
  private seq = 0;
  private timers = new Set<NodeJS.Timeout>();

  constructor(private readonly services: EmulatorServices) {
    this.reset();
  }

  private get now(): number {
    return this.services.clock.now();
  }

  private get stepMs(): number {
    return this.services.config.amplify.jobStepMs;
  }

  // ---- apps ----

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.apps.clear();
    this.seq = 0;
    for (const { appId, name, accountId } of this.services.config.amplify.apps) this.insertApp(appId, accountId, { name });
  }

  private insertApp(appId: string, accountId: string, settings: Partial<AppSettings> & { name: string }): App {
    const now = this.now;
    const app: App = {
      description: '',
      platform: 'WEB',
      repository: '',
      environmentVariables: {},
      enableBranchAutoBuild: false,
      enableBranchAutoDeletion: false,
      enableBasicAuth: false,
      enableAutoBranchCreation: false,
      ...settings,
      appId,
      accountId,
      seq: ++this.seq,
      createTime: now,
      updateTime: now,
      branches: new Map(),
    };
    this.apps.set(appId, app);
    return app;
  }

  createApp(identity: AwsIdentity, settings: Partial<AppSettings> & { name: string }): App {
    const owned = [...this.apps.values()].filter((a) => a.accountId === identity.accountId).length;
    if (owned >= this.services.config.amplify.appLimit)
      throw limitExceeded('Failed to create app. You have reached the maximum number of apps in this account.');
    let appId = newAppId();
    while (this.apps.has(appId)) appId = newAppId();
    return this.insertApp(appId, identity.accountId, settings);
  }

  /** An app of the caller's account; another account's app does not exist for the caller. */
  app(identity: AwsIdentity, appId: string): App {
    const app = this.apps.get(appId);
    if (!app || app.accountId !== identity.accountId) throw notFound(`App ${appId} not found.`);
    return app;
  }

  listApps(identity: AwsIdentity): App[] {
    return [...this.apps.values()].filter((a) => a.accountId === identity.accountId).sort((a, b) => a.seq - b.seq);
  }

  updateApp(app: App, settings: Partial<AppSettings>): App {
    Object.assign(app, settings, { updateTime: this.now });
    return app;
  }

  deleteApp(app: App): App {
    this.apps.delete(app.appId);
    return app;
  }

  // ---- branches ----

  createBranch(app: App, branchName: string, settings: Partial<BranchSettings>): Branch {
    if (app.branches.has(branchName)) throw badRequest(`Failed to create branch. The branch ${branchName} already exists for the app ${app.appId}`);
    if (app.branches.size >= this.services.config.amplify.branchLimit) {
      throw limitExceeded(
        `Failed to create branch. You have reached the maximum number of branches (${this.services.config.amplify.branchLimit}) for the app ${app.appId}.`,
      );
    }
    const now = this.now;
    const branch: Branch = {
      description: '',
      stage: 'NONE',
      framework: '',
      ttl: '5',
      enableAutoBuild: true,
      enableNotification: false,
      enableBasicAuth: false,
      enablePullRequestPreview: false,
      enableSkewProtection: false,
      enablePerformanceMode: false,
      environmentVariables: {},
      ...settings,
      displayName: settings.displayName || deriveDisplayName(branchName),
      branchName,
      seq: ++this.seq,
      createTime: now,
      updateTime: now,
      nextJobId: 1,
      jobs: new Map(),
    };
    app.branches.set(branchName, branch);
    return branch;
  }

  branch(app: App, branchName: string): Branch {
    const branch = app.branches.get(branchName);
    if (!branch) throw notFound(`Branch ${branchName} not found for app ${app.appId}.`);
    this.refreshBranch(branch);
    return branch;
  }

  listBranches(app: App): Branch[] {
    const branches = [...app.branches.values()].sort((a, b) => a.seq - b.seq);
    for (const b of branches) this.refreshBranch(b);
    return branches;
  }

  updateBranch(branch: Branch, settings: Partial<BranchSettings>): Branch {
    Object.assign(branch, settings, { updateTime: this.now });
    return branch;
  }

  /** Its jobs and its served site go with it. */
  deleteBranch(app: App, branch: Branch): Branch {
    app.branches.delete(branch.branchName);
    return branch;
  }

  // ---- jobs ----

  job(branch: Branch, jobId: string): Job {
    const job = branch.jobs.get(jobId);
    if (!job) throw notFound(`Job ${jobId} not found for branch ${branch.branchName}.`);
    return job;
  }

  /** Newest first. */
  listJobs(branch: Branch): Job[] {
    return [...branch.jobs.values()].sort((a, b) => Number(b.jobId) - Number(a.jobId));
  }

  createDeployment(branch: Branch): Job {
    for (const job of this.listJobs(branch)) {
      if (UNFINISHED.has(this.view(job).status)) {
        throw badRequest(
          `The last job(deployment) ${job.jobId} was not finished, please wait until it finish or use StopJob operation to cancel it before creating a new deployment.`,
        );
      }
    }
    const now = this.now;
    const job: Job = { jobId: String(branch.nextJobId++), createTime: now, startTime: now, uploadId: randomBytes(16).toString('hex') };
    branch.jobs.set(job.jobId, job);
    return job;
  }

  /** S3 accepted an upload to a job's object; only a job not yet started can still use it. */
  recordUpload(appId: string, uploadId: string, bytes: Buffer): void {
    const app = this.apps.get(appId);
    for (const branch of app?.branches.values() ?? []) {
      for (const job of branch.jobs.values()) {
        if (job.uploadId === uploadId && job.startedAt === undefined && !job.final) {
          job.zip = storeZip(bytes);
          return;
        }
      }
    }
  }

  startDeployment(app: App, branch: Branch, jobId: string): Job {
    const job = this.job(branch, jobId);
    if (job.startedAt !== undefined || job.final) {
      throw badRequest(`The job ${jobId} has already been started or finished (status ${this.view(job).status}); create a new deployment.`);
    }
    const now = this.now;
    if (now - job.createTime > DEPLOY_WINDOW_MS) {
      job.final = { status: 'FAILED', endTime: now, reason: 'StartDeployment was not called within 8 hours of CreateDeployment.' };
      job.zip = undefined;
      throw badRequest(`The deployment for job ${jobId} has expired: StartDeployment must be called within 8 hours of CreateDeployment.`);
    }
    job.startedAt = now;
    job.startTime = now;
    this.deploy(app, branch, job);
    return job;
  }

  stopJob(job: Job): Job {
    if (UNFINISHED.has(this.view(job).status)) {
      job.final = { status: 'CANCELLED', endTime: this.now };
      job.zip = undefined;
      job.outcome = undefined;
    }
    return job;
  }

  deleteJob(branch: Branch, job: Job): Job {
    branch.jobs.delete(job.jobId);
    return job;
  }

  /** Status and steps of a job now (call after refreshBranch so that finished jobs are settled). */
  view(job: Job): JobView {
    const s = this.stepMs;
    const final = job.final;
    if (job.startedAt === undefined) return { status: final?.status ?? 'PENDING', endTime: final?.endTime, steps: [] };
    const deployStart = job.startedAt + s;
    if (final) {
      const steps: StepView[] = [];
      if (final.endTime >= deployStart) {
        steps.push({
          stepName: 'DEPLOY',
          status: final.status,
          startTime: deployStart,
          endTime: final.endTime,
          ...(final.reason ? { statusReason: final.reason } : {}),
        });
        if (final.status === 'SUCCEED') steps.push({ stepName: 'VERIFY', status: 'SUCCEED', startTime: final.endTime, endTime: final.endTime });
      }
      return { status: final.status, endTime: final.endTime, steps };
    }
    if (this.now < deployStart) return { status: 'PENDING', steps: [] };
    return { status: 'RUNNING', steps: [{ stepName: 'DEPLOY', status: 'RUNNING', startTime: deployStart }] };
  }

  /** Reads the zip captured at start; the outcome lands at startedAt + 2 steps at the earliest. */
  private deploy(app: App, branch: Branch, job: Job): void {
    const zip = job.zip;
    const land = (outcome: { ok: true; files: SiteFiles } | { ok: false; reason: string }) => {
      if (job.final) return;
      job.outcome = { ...outcome, at: this.now };
      this.refreshIfLive(app, branch, job);
    };
    if (!zip) land({ ok: false, reason: 'No deployment artifact was uploaded: PUT the zip to zipUploadUrl before calling StartDeployment.' });
    else {
      extractZip(zip.bytes).then(
        (files) => land({ ok: true, files }),
        () => land({ ok: false, reason: 'The uploaded deployment artifact is not a readable zip file.' }),
      );
    }
    const delay = Math.max(0, (job.startedAt ?? this.now) + 2 * this.stepMs - this.now) + 5;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.refreshIfLive(app, branch, job);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private refreshIfLive(app: App, branch: Branch, job: Job): void {
    if (this.apps.get(app.appId) === app && app.branches.get(branch.branchName) === branch && branch.jobs.get(job.jobId) === job) {
      this.refreshBranch(branch);
    }
  }

  /** Settles the branch's jobs whose time has come, and publishes a successful one as the site. */
  refreshBranch(branch: Branch): void {
    const now = this.now;
    for (const job of branch.jobs.values()) {
      if (job.final || job.startedAt === undefined || !job.outcome) continue;
      const due = job.startedAt + 2 * this.stepMs;
      if (now < due) continue;
      const endTime = Math.max(due, Math.min(job.outcome.at, now));
      const outcome = job.outcome;
      if (outcome.ok) {
        job.final = { status: 'SUCCEED', endTime };
        if (job.zip && (!branch.site || Number(branch.site.jobId) < Number(job.jobId))) {
          branch.site = { jobId: job.jobId, deployedAt: endTime, zip: job.zip, files: outcome.files, ready: Promise.resolve() };
        }
      } else {
        job.final = { status: 'FAILED', endTime, reason: outcome.reason };
      }
      job.zip = undefined;
      job.outcome = undefined;
      this.services.changed();
    }
  }

  /** The files a site host serves; undefined (a 404) for an unknown app or branch, or nothing deployed yet. */
  async siteFiles(appId: string, displayName: string): Promise<SiteFiles | undefined> {
    const app = this.apps.get(appId);
    if (!app) return undefined;
    const branch = [...app.branches.values()].sort((a, b) => a.seq - b.seq).find((b) => b.displayName.toLowerCase() === displayName);
    if (!branch) return undefined;
    this.refreshBranch(branch);
    const site = branch.site;
    if (!site) return undefined;
    await site.ready;
    return site.files;
  }

  // ---- stats and persistence ----

  stats(): Record<string, number> {
    let branches = 0;
    let jobs = 0;
    let zips = 0;
    let zipBytes = 0;
    let sites = 0;
    let siteFiles = 0;
    for (const app of this.apps.values()) {
      for (const branch of app.branches.values()) {
        this.refreshBranch(branch);
        branches++;
        jobs += branch.jobs.size;
        for (const job of branch.jobs.values()) {
          if (!job.zip) continue;
          zips++;
          zipBytes += job.zip.bytes.length;
        }
        if (branch.site) {
          sites++;
          zips++;
          zipBytes += branch.site.zip.bytes.length;
          siteFiles += branch.site.files?.size ?? 0;
        }
      }
    }
    return { apps: this.apps.size, branches, jobs, zips, zipBytes, sites, siteFiles };
  }

  snapshot(): PersistedState {
    const blobs = new Map<string, Buffer>();
    const keep = (zip: StoredZip | undefined) => {
      if (!zip) return undefined;
      blobs.set(blobKey(zip), zip.bytes);
      return blobKey(zip);
    };
    const apps = [...this.apps.values()].map(({ branches, ...app }) => ({
      ...app,
      branches: [...branches.values()].map((branch) => {
        this.refreshBranch(branch);
        const { jobs, site, ...rest } = branch;
        return {
          ...rest,
          // A pending outcome (its unpacked files, in memory) is not persisted.
          jobs: [...jobs.values()].map(({ zip, outcome: _outcome, ...job }) => ({ ...job, zipKey: keep(zip) })),
          site: site ? { jobId: site.jobId, deployedAt: site.deployedAt, zipKey: keep(site.zip) } : undefined,
        };
      }),
    }));
    return { state: { version: 1, seq: this.seq, apps }, blobs };
  }

  restore(raw: unknown, readBlob: (key: string) => Buffer | undefined): void {
    const state = raw as PersistedAmplify;
    if (!state || state.version !== 1 || !Array.isArray(state.apps)) return;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.apps.clear();
    this.seq = state.seq;
    const load = (key: string | undefined) => {
      const bytes = key ? readBlob(key) : undefined;
      return bytes ? storeZip(bytes) : undefined;
    };
    for (const { branches, ...appFields } of state.apps) {
      const app: App = { ...appFields, branches: new Map() };
      this.apps.set(app.appId, app);
      for (const { jobs, site, ...branchFields } of branches) {
        const branch: Branch = { ...branchFields, jobs: new Map() };
        app.branches.set(branch.branchName, branch);
        for (const { zipKey, ...jobFields } of jobs) {
          const job: Job = { ...jobFields, zip: load(zipKey) };
          branch.jobs.set(job.jobId, job);
          // A deployment under way when the emulator stopped picks up where it was.
          if (job.startedAt !== undefined && !job.final) this.deploy(app, branch, job);
        }
        const zip = load(site?.zipKey);
        if (site && zip) {
          const restored: Site = { jobId: site.jobId, deployedAt: site.deployedAt, zip, ready: Promise.resolve() };
          restored.ready = extractZip(zip.bytes).then(
            (files) => void (restored.files = files),
            () => undefined,
          );
          branch.site = restored;
        }
      }
    }
  }
}

type PersistedJob = Omit<Job, 'zip' | 'outcome'> & { zipKey?: string };
type PersistedBranch = Omit<Branch, 'jobs' | 'site'> & { jobs: PersistedJob[]; site?: { jobId: string; deployedAt: number; zipKey?: string } };
interface PersistedAmplify {
  version: 1;
  seq: number;
  apps: (Omit<App, 'branches'> & { branches: PersistedBranch[] })[];
}
