// Apps and branches of the local Amplify, each app owned by one AWS account: the one object the API works on.
// Jobs live in jobs.ts and saving in persistence.ts; the job methods here only hand over to them.
import { randomInt } from 'node:crypto';
import type { AwsIdentity } from './config';
import type { EmulatorServices, PersistedState } from '../platform';
import { badRequest, limitExceeded, notFound } from './errors';
import { Jobs } from './jobs';
import type { App, AppSettings, Branch, BranchSettings, Job, JobView } from './model';
import { readPersisted, restoreApps, snapshotApps } from './persistence';
import type { SiteFiles } from './serve';

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

export class AmplifyState {
  readonly apps = new Map<string, App>();
  private seq = 0;
  private readonly jobs: Jobs;

  constructor(private readonly services: EmulatorServices) {
    this.jobs = new Jobs(services, this.apps);
    this.reset();
  }

  private get now(): number {
    return this.services.clock.now();
  }

  // ---- apps ----

  reset(): void {
    this.jobs.cancelTimers();
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

  // ---- jobs (jobs.ts) ----

  job(branch: Branch, jobId: string): Job {
    return this.jobs.job(branch, jobId);
  }

  listJobs(branch: Branch): Job[] {
    return this.jobs.listJobs(branch);
  }

  createDeployment(branch: Branch): Job {
    return this.jobs.createDeployment(branch);
  }

  recordUpload(appId: string, uploadId: string, bytes: Buffer): void {
    this.jobs.recordUpload(appId, uploadId, bytes);
  }

  startDeployment(app: App, branch: Branch, jobId: string): Job {
    return this.jobs.startDeployment(app, branch, jobId);
  }

  stopJob(job: Job): Job {
    return this.jobs.stopJob(job);
  }

  deleteJob(branch: Branch, job: Job): Job {
    return this.jobs.deleteJob(branch, job);
  }

  view(job: Job): JobView {
    return this.jobs.view(job);
  }

  refreshBranch(branch: Branch): void {
    this.jobs.refreshBranch(branch);
  }

  // ---- stats and persistence (persistence.ts) ----

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
    return snapshotApps(this.apps, this.seq, (branch) => this.refreshBranch(branch));
  }

  restore(raw: unknown, readBlob: (key: string) => Buffer | undefined): void {
    const state = readPersisted(raw);
    if (!state) return;
    this.jobs.cancelTimers();
    this.apps.clear();
    this.seq = state.seq;
    restoreApps(state, this.apps, readBlob, (app, branch, job) => this.jobs.deploy(app, branch, job));
  }
}
