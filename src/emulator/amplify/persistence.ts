// Snapshot and restore of the local Amplify: apps, branches and jobs as JSON, every zip as a blob named by its
// hash. A site's files are not saved; they are unpacked again from its zip on restore.
import type { PersistedState } from '../platform';
import type { App, Branch, Job, Site } from './model';
import { extractZip } from './serve';
import { blobKey, storeZip, type StoredZip } from './stored-zip';

type PersistedJob = Omit<Job, 'zip' | 'outcome'> & { zipKey?: string };
type PersistedBranch = Omit<Branch, 'jobs' | 'site'> & { jobs: PersistedJob[]; site?: { jobId: string; deployedAt: number; zipKey?: string } };
export interface PersistedAmplify {
  version: 1;
  seq: number;
  apps: (Omit<App, 'branches'> & { branches: PersistedBranch[] })[];
}

/** Each branch is refreshed first, so that jobs whose time has come are saved settled. */
export function snapshotApps(apps: ReadonlyMap<string, App>, seq: number, refreshBranch: (branch: Branch) => void): PersistedState {
  const blobs = new Map<string, Buffer>();
  const keep = (zip: StoredZip | undefined) => {
    if (!zip) return undefined;
    blobs.set(blobKey(zip), zip.bytes);
    return blobKey(zip);
  };
  const saved = [...apps.values()].map(({ branches, ...app }) => ({
    ...app,
    branches: [...branches.values()].map((branch) => {
      refreshBranch(branch);
      const { jobs, site, ...rest } = branch;
      return {
        ...rest,
        // A pending outcome (its unpacked files, in memory) is not persisted.
        jobs: [...jobs.values()].map(({ zip, outcome: _outcome, ...job }) => ({ ...job, zipKey: keep(zip) })),
        site: site ? { jobId: site.jobId, deployedAt: site.deployedAt, zipKey: keep(site.zip) } : undefined,
      };
    }),
  }));
  return { state: { version: 1, seq, apps: saved }, blobs };
}

/** The saved state if this version wrote it; anything else is ignored and the running state kept. */
export function readPersisted(raw: unknown): PersistedAmplify | undefined {
  const state = raw as PersistedAmplify;
  if (!state || state.version !== 1 || !Array.isArray(state.apps)) return undefined;
  return state;
}

/**
 * Fills `apps` (cleared by the caller) with the saved apps. `resume` is handed each job that was deploying when
 * the emulator stopped, once it is in its branch, so that it picks up where it was.
 */
export function restoreApps(
  state: PersistedAmplify,
  apps: Map<string, App>,
  readBlob: (key: string) => Buffer | undefined,
  resume: (app: App, branch: Branch, job: Job) => void,
): void {
  const load = (key: string | undefined) => {
    const bytes = key ? readBlob(key) : undefined;
    return bytes ? storeZip(bytes) : undefined;
  };
  for (const { branches, ...appFields } of state.apps) {
    const app: App = { ...appFields, branches: new Map() };
    apps.set(app.appId, app);
    for (const { jobs, site, ...branchFields } of branches) {
      const branch: Branch = { ...branchFields, jobs: new Map() };
      app.branches.set(branch.branchName, branch);
      for (const { zipKey, ...jobFields } of jobs) {
        const job: Job = { ...jobFields, zip: load(zipKey) };
        branch.jobs.set(job.jobId, job);
        if (job.startedAt !== undefined && !job.final) resume(app, branch, job);
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
