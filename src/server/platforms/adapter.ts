// What the runner asks of a platform. An adapter knows its API and nothing about users, quotas or the
// UI; the runner knows steps and leases and nothing about a platform's wire format.
import type { Readable } from 'node:stream';
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import type { Manifest } from '@/lib/site-files';
import { DEFAULT_RETRY, type RetryPolicy } from './http';
import type { Polling } from './polling';

/** Where a site lives on its platform: a project there (an account, an app, a team) and the site in it (a script, a branch). */
export interface SiteTarget {
  externalProjectId?: string | null;
  externalId?: string | null;
}

/**
 * How an adapter works with its platform in a deployment: the retry policy of every call, and how it
 * waits for work that runs on the platform. The runner makes them from the deployment's settings
 * (deploy/settings.ts); an adapter reads no settings of its own.
 */
export interface AdapterSettings {
  polling: Polling;
  retries: RetryPolicy;
}

/**
 * What a call outside a deployment (verify, remove, listManagedResources, abandon) is given: its retry
 * policy. Given none, it takes DEFAULT_CALL_SETTINGS.
 */
export type CallSettings = Pick<AdapterSettings, 'retries'>;

/** The settings of a call outside a deployment given none: the default retry policy. */
export const DEFAULT_CALL_SETTINGS: CallSettings = { retries: DEFAULT_RETRY };

export interface DeployContext<Credentials> {
  deploymentId: string;
  /** The stable id of the site (our database), for naming platform resources. */
  siteId: string;
  /** The project's name as the user sees it, for naming resources in their own account. */
  siteName: string;
  mode: AuthMode;
  credentials: Credentials;
  /** Where earlier deployments of this site went (redeploys update the same Worker / branch). */
  target: SiteTarget;
  /** How this deployment retries its calls and polls the platform. */
  settings: AdapterSettings;
  /** Every file with its size, which the server took from the stored bytes. */
  manifest: Manifest;
  /**
   * One file's bytes streamed from the blob store, a fresh stream each call (a retried upload opens it
   * again): the only way an adapter reads a file, so no deployment holds a whole site in memory.
   */
  openBlob(sha256: string): Promise<Readable>;
  /** SHA-1 of each file (SHA-256 → SHA-1) for platforms that address files by it; computed once per blob. */
  readSha1s(sha256s: string[]): Promise<Map<string, string>>;
  /**
   * For a rollback: the checkpoint the adapter saved in the deployment being made live again, so a
   * platform that keeps old deploys can restore one natively (a restore or rollback of its own)
   * instead of uploading; the manifest is the same content either way.
   */
  rollbackTo?: Record<string, unknown>;
  /** What earlier attempts of this deployment finished; steps already done are skipped. */
  checkpoint: Record<string, unknown>;
  /** Records progress that a resumed attempt can start from. */
  save(patch: Record<string, unknown>): Promise<void>;
  /** Tells watchers where the deployment is: a step name, 0–100, and a line for the log. */
  report(step: string, progress: number, message: string): Promise<void>;
}

export interface DeployOutcome {
  url: string;
  target: Required<{ [K in keyof SiteTarget]: string }>;
}

/**
 * A file (or a `_redirects` line) that a platform runs or reads as configuration rather than serving as
 * it is. Quick deploys refuse the ones marked `refused` (they would run or proxy in the shared account);
 * in the user's own account each becomes a line of the deployment log (see deploy/static-only.ts).
 */
export interface ServerSideFile {
  /** The file, or `_redirects line N`. */
  where: string;
  /** What the platform does with it, as the log and the refusal say it. */
  effect: string;
  refused: boolean;
}

/** What a platform does with files other than plain static ones: one `static-files.ts` per platform folder. */
export interface StaticFilesRules {
  /** What the platform does with a `_redirects` rule that fetches another site (status 200); null if it never reads `_redirects`. */
  redirectsProxy: string | null;
  /** Files the platform's own tooling never uploads (an ignore file it reads), dropped with a note saying which. */
  dropIgnored?(manifest: Manifest, readText: (path: string) => Promise<string>): Promise<{ manifest: Manifest; notes: string[] }>;
  serverSideFiles(manifest: Manifest, readText: (path: string) => Promise<string>): Promise<ServerSideFile[]>;
}

export interface PlatformAdapter<Credentials = unknown> {
  platform: DeploymentPlatform;
  /** The system credentials of platform-managed mode, or null when quick deploy is not configured. */
  platformCredentials(): Credentials | null;
  /** Parses stored user credentials (from the vault) into this platform's shape. */
  parseCredentials(raw: Record<string, string>): Credentials;
  /** Checks credentials against the platform; answers non-secret account facts to show in Settings. */
  verify(credentials: Credentials, settings?: CallSettings): Promise<Record<string, string>>;
  /** Why this platform cannot take a file (its own name or size rules), checked before anything is written. */
  refuseFile?(path: string, size: number): string | undefined;
  /** Every step idempotent: running it again after a crash is harmless. */
  deploy(ctx: DeployContext<Credentials>): Promise<DeployOutcome>;
  /**
   * Removes the site from the platform; "already gone" counts as done. `mode` is the site's: in the
   * shared account (platform-managed) only resources carrying the product's prefix are ever removed.
   */
  remove(credentials: Credentials, target: SiteTarget, mode: AuthMode, settings?: CallSettings): Promise<void>;
  /**
   * The product's own resources in the shared platform account (those carrying the product's name
   * prefix, never anything else), for the cleanup of orphans.
   */
  listManagedResources(credentials: Credentials, settings?: CallSettings): Promise<SiteTarget[]>;
  /** Stops platform work a deployment left running when it is given up (an unfinished job on the platform). */
  abandon(credentials: Credentials, checkpoint: Record<string, unknown>, settings?: CallSettings): Promise<void>;
}

/** A platform as the server's registry (registry.ts) lists it. */
export interface ServerPlatform {
  // The engine treats credentials as opaque: each adapter parses its own.
  adapter: PlatformAdapter<never>;
  staticFiles: StaticFilesRules;
  /** Its slice of the configuration, parsed once (a bad value stops the server at start). */
  settings(): unknown;
  /** How its adapter waits for work on the platform unless a deployment's settings say otherwise. */
  polling: Polling;
}

/** A platform's server half, its adapter typed by its own credentials (the registry holds them opaque). */
export function serverPlatform<Credentials>(parts: Omit<ServerPlatform, 'adapter'> & { adapter: PlatformAdapter<Credentials> }): ServerPlatform {
  return parts as unknown as ServerPlatform;
}
