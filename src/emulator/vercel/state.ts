// Projects, deployments and uploaded files of the local Vercel. Files are kept by SHA-1 per owner (a
// team or a personal account). A deployment's progress is computed from timestamps on the emulator
// clock (QUEUED for one stepMs, BUILDING for another, then READY), so moving the clock moves it; a
// production deployment takes the project's alias when it becomes READY, in creation order, unless the
// project is rolled back (then it is staged until a promote).
import { randomBytes } from 'node:crypto';

export type ReadyState = 'QUEUED' | 'BUILDING' | 'READY' | 'ERROR' | 'CANCELED';

export interface ProjectSettings {
  framework: string | null;
  buildCommand: string | null;
  installCommand: string | null;
  devCommand: string | null;
  outputDirectory: string | null;
  rootDirectory: string | null;
}

export interface Project extends ProjectSettings {
  id: string;
  name: string;
  accountId: string;
  /** The label of the production alias: `{label}.vercel.{siteDomain}`. */
  aliasLabel: string;
  /**
   * The label of the scope-suffixed alias `{label}-{scope}` every production deployment also gets,
   * behind Deployment Protection (only the production domain is public). Unset on older snapshots.
   */
  scopeLabel?: string;
  createdAt: number;
  updatedAt: number;
  productionDeploymentId?: string;
  /**
   * The last rollback or promote (GET /v9/projects/:id?rollbackInfo=true). While the last one is a
   * rollback the project stays rolled back: new production deployments become READY but STAGED, without
   * the production domains, until a promote (https://vercel.com/docs/instant-rollback; "To undo a
   * rollback, promote a deployment", https://vercel.com/docs/cli/rollback; the fields as in
   * vercel/vercel internals/types/index.d.ts `LastAliasRequest`).
   */
  lastAliasRequest?: { jobStatus: 'succeeded'; requestedAt: number; toDeploymentId: string; fromDeploymentId?: string; type: 'rollback' | 'promote' };
}

/** Routing a deployment was given (vercel.json keys sent in the create body). */
export interface RoutingConfig {
  rewrites?: { source: string; destination: string }[];
  redirects?: { source: string; destination: string; permanent?: boolean; statusCode?: number }[];
  headers?: { source: string; headers: { key: string; value: string }[] }[];
  cleanUrls?: boolean;
  routes?: ({ src: string; dest?: string; status?: number; headers?: Record<string, string> } | { handle: string })[];
}

export interface Deployment {
  id: string;
  projectId: string;
  ownerId: string;
  name: string;
  /** The deployment's own host label: `{project}-{random}`. */
  hostLabel: string;
  target: 'production' | null;
  createdAt: number;
  /** path (relative to the served folder) → SHA-1 */
  files: Record<string, string>;
  routing: RoutingConfig;
  projectSettings: ProjectSettings;
  meta: Record<string, string>;
  /** Set when the deployment cannot succeed (e.g. a build the local cloud does not run). */
  failure?: { errorCode: string; errorMessage: string };
  canceledAt?: number;
  /** When it took the production alias (ms), once it did. */
  aliasAssignedAt?: number;
  /** A production deployment that became READY while the project was rolled back: it waits for a promote. */
  staged?: boolean;
}

export const randomId = (prefix: string, bytes = 12) =>
  `${prefix}${randomBytes(bytes)
    .toString('base64url')
    .replace(/[-_]/g, '')
    .slice(0, bytes * 2)}`;

export class VercelState {
  /** ownerId → SHA-1 → bytes */
  files = new Map<string, Map<string, Buffer>>();
  projects = new Map<string, Project>();
  deployments = new Map<string, Deployment>();

  constructor(private readonly stepMs: () => number) {}

  filesOf(ownerId: string): Map<string, Buffer> {
    let map = this.files.get(ownerId);
    if (!map) this.files.set(ownerId, (map = new Map()));
    return map;
  }

  projectsOf(ownerId: string): Project[] {
    return [...this.projects.values()].filter((p) => p.accountId === ownerId).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** By id or by name, within one owner. */
  project(ownerId: string, idOrName: string): Project | undefined {
    const byId = this.projects.get(idOrName);
    if (byId) return byId.accountId === ownerId ? byId : undefined;
    return this.projectsOf(ownerId).find((p) => p.name === idOrName);
  }

  createProject(ownerId: string, ownerSlug: string, name: string, settings: ProjectSettings, now: number): Project {
    // A host label has no dots or underscores; the alias belongs to whoever took it first, later
    // owners get their slug added.
    const label = name.replace(/[._]+/g, '-').replace(/^-+|-+$/g, '') || 'project';
    const taken = [...this.projects.values()].some((p) => p.aliasLabel === label);
    const scopeLabel = `${label}-${ownerSlug}`;
    const project: Project = {
      ...settings,
      id: randomId('prj_'),
      name,
      accountId: ownerId,
      aliasLabel: taken ? scopeLabel : label,
      scopeLabel,
      createdAt: now,
      updatedAt: now,
    };
    this.projects.set(project.id, project);
    return project;
  }

  deleteProject(project: Project): void {
    this.projects.delete(project.id);
    for (const d of this.deployments.values()) if (d.projectId === project.id) this.deployments.delete(d.id);
  }

  deploymentsOf(project: Project): Deployment[] {
    return [...this.deployments.values()].filter((d) => d.projectId === project.id).sort((a, b) => a.createdAt - b.createdAt);
  }

  byHostLabel(label: string): Deployment | undefined {
    for (const d of this.deployments.values()) if (d.hostLabel === label) return d;
    return undefined;
  }

  readyAt(d: Deployment): number {
    return d.createdAt + 2 * this.stepMs();
  }

  readyState(d: Deployment, now: number): ReadyState {
    if (d.canceledAt !== undefined) return 'CANCELED';
    if (now < d.createdAt + this.stepMs()) return 'QUEUED';
    if (now < this.readyAt(d)) return 'BUILDING';
    return d.failure ? 'ERROR' : 'READY';
  }

  /** Whether the project's production domains stay where a rollback put them (until a promote). */
  rolledBack(project: Project): boolean {
    return project.lastAliasRequest?.type === 'rollback';
  }

  /**
   * Lets production deployments that became READY take the alias, oldest first; while the project is
   * rolled back they are staged instead. (Every rollback and promote settles first, so a deployment
   * is judged by the state the project had when it became READY.)
   */
  settle(project: Project, now: number): void {
    for (const d of this.deploymentsOf(project)) {
      if (d.target !== 'production' || d.aliasAssignedAt !== undefined || d.staged || this.readyState(d, now) !== 'READY') continue;
      if (this.rolledBack(project)) {
        d.staged = true;
        continue;
      }
      d.aliasAssignedAt = this.readyAt(d);
      project.productionDeploymentId = d.id;
    }
  }

  reset(): void {
    this.files.clear();
    this.projects.clear();
    this.deployments.clear();
  }
}
