// The job lifecycle of the local Amplify: CreateDeployment, the zip's upload, StartDeployment, the outcome. A
// started job's progress is computed from timestamps on the emulator clock (PENDING for one jobStepMs, RUNNING
// for another, then SUCCEED/FAILED), so moving the clock moves jobs; timers only make the outcome land (and be
// persisted) without anyone asking.
import { randomBytes } from 'node:crypto';
import type { EmulatorServices } from '../platform';
import { badRequest, notFound } from './errors';
import type { App, Branch, Job, JobStatus, JobView, StepView } from './model';
import { extractZip, type SiteFiles } from './serve';
import { storeZip, type StoredZip } from './stored-zip';

const UNFINISHED: ReadonlySet<JobStatus> = new Set(['CREATED', 'PENDING', 'PROVISIONING', 'RUNNING', 'CANCELLING']);
/** CreateDeployment → StartDeployment must happen within 8 hours (CreateDeployment's model documentation). */
export const DEPLOY_WINDOW_MS = 8 * 60 * 60 * 1000;

/** The jobs of the apps in `apps`: the state's own map, which the state fills and clears and Jobs only reads. */
export class Jobs {
  private timers = new Set<NodeJS.Timeout>();
  /**
   * Zips read as they arrive: the emulator's own reading of a 5,000-file zip took longer than the two
   * steps a job is modelled to take, so a job ended late by the emulator's work, not the model. What a
   * client sees is unchanged: the outcome still lands two steps after the start at the earliest.
   */
  private readonly reading = new WeakMap<StoredZip, Promise<SiteFiles>>();

  constructor(
    private readonly services: EmulatorServices,
    private readonly apps: ReadonlyMap<string, App>,
  ) {}

  private get now(): number {
    return this.services.clock.now();
  }

  private get stepMs(): number {
    return this.services.config.amplify.jobStepMs;
  }

  /** Drops every outcome still to land (the state is being reset or replaced). */
  cancelTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

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
          void this.read(job.zip);
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

  /**
   * Reads the zip captured at start; the outcome lands at startedAt + 2 steps at the earliest. Also resumes a
   * job restored mid-deployment.
   */
  deploy(app: App, branch: Branch, job: Job): void {
    const zip = job.zip;
    const land = (outcome: { ok: true; files: SiteFiles } | { ok: false; reason: string }) => {
      if (job.final) return;
      job.outcome = { ...outcome, at: this.now };
      this.refreshIfLive(app, branch, job);
    };
    if (!zip) land({ ok: false, reason: 'No deployment artifact was uploaded: PUT the zip to zipUploadUrl before calling StartDeployment.' });
    else {
      this.read(zip).then(
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

  /** The zip's files, read once (from its arrival, or now for a job restored mid-deployment). */
  private read(zip: StoredZip): Promise<SiteFiles> {
    let files = this.reading.get(zip);
    if (!files) {
      files = extractZip(zip.bytes);
      // Its failure is the job's outcome (deploy), when the job starts; until then it is not unhandled.
      files.catch(() => {});
      this.reading.set(zip, files);
    }
    return files;
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
}
