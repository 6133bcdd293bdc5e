// Sites and deploys of the local Netlify, and each team's content store (file bytes by SHA-1, shared
// by every deploy and site of the team, so `required` only names what the team never sent).
// A deploy's state is computed from timestamps on the emulator clock — preparing (async diff) →
// uploading (or "uploaded" once the team's store holds the bytes some other way) until every required
// file was uploaded to this deploy → uploaded (prepared when nothing was required) → processing →
// ready, one stepMs each — so moving the clock moves deploys; a deploy that reaches ready is
// "settled" once, which is when it is published.
import { randomBytes, randomUUID } from 'node:crypto';
import type { EmulatorServices, PersistedState } from '../platform';

export type DeployState = 'new' | 'preparing' | 'prepared' | 'uploading' | 'uploaded' | 'processing' | 'ready' | 'error';

export interface Site {
  id: string;
  name: string;
  accountSlug: string;
  userId: string;
  createdAt: number;
  updatedAt: number;
  publishedDeployId?: string;
  /** When the published deploy was chosen (a ready deploy only replaces a later choice). */
  publishedAt?: number;
}

export interface Deploy {
  id: string;
  siteId: string;
  userId: string;
  createdAt: number;
  updatedAt: number;
  title?: string;
  /** Fixed at creation: a PUT of the file map does not change them (spec §3.9). */
  draft: boolean;
  branch?: string;
  async: boolean;
  /** path (no leading slash) → SHA-1; undefined until the map is sent. */
  files?: Record<string, string>;
  /** When the map was sent. */
  submittedAt?: number;
  /** Distinct SHA-1s the team lacked when the map was sent. */
  required: string[];
  /** The required SHA-1s uploaded to this deploy (absent in state saved before it existed). */
  received?: string[];
  /** When the last required file arrived (or the diff found none missing). */
  uploadedAt?: number;
  /** Set when the deploy fails or is cancelled. */
  error?: { message: string; at: number };
  /** When it became ready, once settled. */
  readyAt?: number;
}

export class NetlifyState {
  readonly sites = new Map<string, Site>();
  readonly deploys = new Map<string, Deploy>();
  /** accountSlug → SHA-1 → bytes */
  readonly store = new Map<string, Map<string, Buffer>>();

  constructor(private readonly services: EmulatorServices) {}

  private get now(): number {
    return this.services.clock.now();
  }

  private get stepMs(): number {
    return this.services.config.netlify.stepMs;
  }

  storeOf(accountSlug: string): Map<string, Buffer> {
    let map = this.store.get(accountSlug);
    if (!map) this.store.set(accountSlug, (map = new Map()));
    return map;
  }

  // ---- sites ----

  siteByName(name: string): Site | undefined {
    return [...this.sites.values()].find((s) => s.name === name);
  }

  createSite(name: string, accountSlug: string, userId: string): Site {
    const site: Site = { id: randomUUID(), name, accountSlug, userId, createdAt: this.now, updatedAt: this.now };
    this.sites.set(site.id, site);
    return site;
  }

  deleteSite(site: Site): void {
    this.sites.delete(site.id);
    for (const [id, d] of this.deploys) if (d.siteId === site.id) this.deploys.delete(id);
  }

  deploysOf(site: Site): Deploy[] {
    return [...this.deploys.values()].filter((d) => d.siteId === site.id).sort((a, b) => b.createdAt - a.createdAt || (b.id < a.id ? -1 : 1));
  }

  /** The deploy the site serves, after settling what is due. */
  published(site: Site): Deploy | undefined {
    this.settle(site);
    return site.publishedDeployId ? this.deploys.get(site.publishedDeployId) : undefined;
  }

  // ---- deploys ----

  createDeploy(site: Site, userId: string, fields: { draft: boolean; branch?: string; title?: string; async: boolean }): Deploy {
    const deploy: Deploy = {
      id: randomBytes(12).toString('hex'),
      siteId: site.id,
      userId,
      createdAt: this.now,
      updatedAt: this.now,
      required: [],
      ...fields,
    };
    this.deploys.set(deploy.id, deploy);
    return deploy;
  }

  /** Registers the file map: `required` is what the team's store lacks right now. */
  submitFiles(site: Site, deploy: Deploy, files: Record<string, string>, async: boolean): void {
    const store = this.storeOf(site.accountSlug);
    deploy.files = files;
    deploy.async = async;
    deploy.submittedAt = this.now;
    deploy.updatedAt = this.now;
    deploy.required = [...new Set(Object.values(files))].filter((sha) => !store.has(sha));
    deploy.received = [];
    deploy.uploadedAt = deploy.required.length === 0 ? this.diffDoneAt(deploy) : undefined;
    const limit = this.services.config.netlify.maxFilesPerDirectory;
    const perFolder = new Map<string, number>();
    for (const path of Object.keys(files)) {
      const folder = path.slice(0, path.lastIndexOf('/') + 1);
      perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1);
    }
    const crowded = [...perFolder].find(([, n]) => n > limit);
    if (crowded)
      deploy.error = {
        message: `Failed to publish: the folder "/${crowded[0]}" holds ${crowded[1]} files; at most ${limit} are allowed in one folder.`,
        at: this.now,
      };
  }

  /** An async diff answers `required` one step after the map was sent. */
  private diffDoneAt(deploy: Deploy): number {
    return deploy.submittedAt! + (deploy.async ? this.stepMs : 0);
  }

  /** Stores one uploaded file; the deploy moves on once nothing it required is missing. */
  recordUpload(site: Site, deploy: Deploy, sha: string, bytes: Buffer): void {
    this.storeOf(site.accountSlug).set(sha, bytes);
    if (deploy.required.includes(sha) && !deploy.received?.includes(sha)) deploy.received = [...(deploy.received ?? []), sha];
    deploy.updatedAt = this.now;
    this.noteUploads(deploy);
  }

  /**
   * A deploy is processed once every file of its `required` was uploaded to it: netlify-cli uploads
   * the whole list whatever the deploy's state (src/utils/deploy/deploy-site.ts), so the same bytes
   * reaching the team's store through another deploy do not count.
   */
  private noteUploads(deploy: Deploy): void {
    if (deploy.uploadedAt !== undefined || deploy.error || !deploy.files) return;
    const received = deploy.received ?? [];
    if (deploy.required.every((sha) => received.includes(sha))) deploy.uploadedAt = Math.max(this.now, this.diffDoneAt(deploy));
  }

  cancel(deploy: Deploy): void {
    if (this.state(deploy) !== 'ready' && !deploy.error) deploy.error = { message: 'Canceled build', at: this.now };
    deploy.updatedAt = this.now;
  }

  state(deploy: Deploy): DeployState {
    if (deploy.readyAt !== undefined) return 'ready';
    if (deploy.error) return 'error';
    if (!deploy.files) return 'new';
    const now = this.now;
    if (now < this.diffDoneAt(deploy)) return 'preparing';
    this.noteUploads(deploy);
    if (deploy.uploadedAt === undefined) {
      // The team's store already holds every byte (another deploy sent them): the deploy reads
      // "uploaded", one of the diff-done states of netlify-cli's waitForDiff (src/utils/deploy/util.ts),
      // yet still waits for its own uploads.
      const site = this.sites.get(deploy.siteId);
      const store = site ? this.storeOf(site.accountSlug) : undefined;
      return store && deploy.required.every((sha) => store.has(sha)) ? 'uploaded' : 'uploading';
    }
    if (now < deploy.uploadedAt + this.stepMs) return deploy.required.length ? 'uploaded' : 'prepared';
    if (now < deploy.uploadedAt + 2 * this.stepMs) return 'processing';
    return 'ready';
  }

  /** `required` as clients see it: not meaningful until an async diff is done. */
  visibleRequired(deploy: Deploy): string[] {
    return deploy.files && this.now >= this.diffDoneAt(deploy) ? deploy.required : [];
  }

  /** Records the deploys of a site that became ready, and publishes the latest non-draft one. */
  settle(site: Site): void {
    let changed = false;
    for (const deploy of this.deploysOf(site)) {
      if (deploy.readyAt !== undefined || deploy.error || this.state(deploy) !== 'ready') continue;
      deploy.readyAt = deploy.uploadedAt! + 2 * this.stepMs;
      changed = true;
      if (!deploy.draft && (site.publishedAt === undefined || deploy.readyAt >= site.publishedAt)) {
        site.publishedDeployId = deploy.id;
        site.publishedAt = deploy.readyAt;
        site.updatedAt = this.now;
      }
    }
    if (changed) this.services.changed();
  }

  /** Makes a finished deploy the live one (POST …/restore). */
  restore(site: Site, deploy: Deploy): void {
    site.publishedDeployId = deploy.id;
    site.publishedAt = this.now;
    site.updatedAt = this.now;
  }

  // ---- stats and persistence ----

  reset(): void {
    this.sites.clear();
    this.deploys.clear();
    this.store.clear();
  }

  stats(): Record<string, number> {
    let files = 0;
    let fileBytes = 0;
    for (const map of this.store.values())
      for (const bytes of map.values()) {
        files++;
        fileBytes += bytes.length;
      }
    return { sites: this.sites.size, deploys: this.deploys.size, files, fileBytes };
  }

  snapshot(): PersistedState {
    const blobs = new Map<string, Buffer>();
    const store: Record<string, string[]> = {};
    for (const [slug, map] of this.store) {
      store[slug] = [...map.keys()];
      for (const [sha, bytes] of map) blobs.set(`nf-${slug}-${sha}`, bytes);
    }
    return { state: { sites: [...this.sites.values()], deploys: [...this.deploys.values()], store }, blobs };
  }

  restoreFrom(saved: unknown, readBlob: (key: string) => Buffer | undefined): void {
    const data = saved as { sites?: Site[]; deploys?: Deploy[]; store?: Record<string, string[]> };
    for (const site of data.sites ?? []) this.sites.set(site.id, site);
    for (const deploy of data.deploys ?? []) this.deploys.set(deploy.id, deploy);
    for (const [slug, shas] of Object.entries(data.store ?? {}))
      for (const sha of shas) {
        const bytes = readBlob(`nf-${slug}-${sha}`);
        if (bytes) this.storeOf(slug).set(sha, bytes);
      }
  }
}
