// One validated view of the configuration. In development and tests every variable has a safe local
// default (embedded database, dev secrets, credentials of the local cloud); in production a missing or
// weak secret stops the server at start with a message that names the variable.
import os from 'node:os';
import { z } from 'zod';
import { DEPLOYMENT_PLATFORMS, type DeploymentPlatform } from '@/lib/deployment';
import { LOCAL_CLOUD_PORT } from '@/lib/local-cloud';

const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-in-production-0000';
// 32 bytes, base64. Development only: production refuses it.
const DEV_ENCRYPTION_KEY = 'dev1:aHVza2l0LWRldi1vbmx5LWVuY3J5cHRpb24ta2V5ISE=';
const DEV_CRON_SECRET = 'dev-only-cron-secret';
/** Compared by bytes: the same key under another id or in another base64 spelling is still it. */
const DEV_ENCRYPTION_KEY_BYTES = Buffer.from(DEV_ENCRYPTION_KEY.slice(DEV_ENCRYPTION_KEY.indexOf(':') + 1), 'base64');

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  APP_URL: optionalString,
  DATABASE_URL: optionalString,
  PGLITE_DATA_DIR: optionalString,
  NEON_WS_PROXY: optionalString,
  SESSION_SECRET: optionalString,
  ENCRYPTION_KEYS: optionalString,
  CRON_SECRET: optionalString,
  CLOUD_PORT: optionalString,
  DEPLOY_LEASE_MS: optionalString,
  DEPLOY_SWEEP_MS: optionalString,
  PORT: optionalString,
  PREVIEW_ORIGIN: optionalString,
  STORAGE_QUOTA_BYTES: optionalString,
  STORAGE_MAX_FILES: optionalString,
  MAX_SSE_STREAMS_PER_USER: optionalString,
  BLOB_STORE: optionalString,
  BLOB_DIR: optionalString,
  S3_ENDPOINT: optionalString,
  S3_BUCKET: optionalString,
  S3_REGION: optionalString,
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  WORKER_THREADS: optionalString,
  /** The former name of WORKER_THREADS: refused with the new name, rather than ignored. */
  SCAN_WORKERS: optionalString,
});

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface Env {
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  appUrl?: string;
  databaseUrl?: string;
  pgliteDataDir: string;
  neonWsProxy?: string;
  /** iron-session password map: the highest id seals new cookies, every id unseals. */
  sessionPasswords: Record<string, string>;
  /** The first key encrypts; every key decrypts. */
  encryptionKeys: EncryptionKey[];
  cronSecret: string;
  cloudPort: number;
  /** How long a runner's lease lasts without a heartbeat before another instance may take over. */
  deployLeaseMs: number;
  /** How often (about: jittered) each Node server sweeps for deployments whose lease lapsed; 0 turns it off. */
  deploySweepMs: number;
  /**
   * Where the editor's live preview is served: an origin of its own (no cookies of the app there), so
   * user HTML never runs under the app's domain. Unset in production: previews are off.
   */
  previewOrigin?: string;
  /** Bytes of files a user may hold in the blob store (all their projects and deployments). */
  storageQuotaBytes: number;
  /** Files one user may hold (each costs a row entry and memory whatever its size). */
  storageMaxFiles: number;
  /**
   * Where file bytes live: a folder (the default, `.data/blobs`) or S3-compatible object storage
   * (AWS S3, R2, MinIO…), which several servers and serverless functions can share.
   */
  blobStore: { kind: 'fs'; dir: string } | { kind: 's3'; endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };
  /**
   * Threads for files' CPU work (the content scan, the zip's deflate), beside the one serving requests
   * (0: done on that one).
   * Each costs memory (its own heap); one per core, at most 4, by default.
   */
  workerThreads: number;
  /** Live deployment streams (SSE) one user may hold open at once, per server process. */
  maxSseStreamsPerUser: number;
  /** Live quick-deploy sites allowed per platform, where the environment sets it. */
  platformQuota: Partial<Record<DeploymentPlatform, number>>;
}

export function fail(name: string, problem: string, fix: string): never {
  throw new ConfigError(`Configuration error: ${name} ${problem}. ${fix}`);
}

/** `2:new-secret,1:old-secret`, or one plain secret (id 1). */
function parseSessionSecret(raw: string, production: boolean): Record<string, string> {
  const entries = raw.includes(',') || /^\d+:/.test(raw) ? raw.split(',').map((s) => s.trim()) : [`1:${raw}`];
  const map: Record<string, string> = {};
  for (const entry of entries) {
    const m = /^(\d+):(.+)$/.exec(entry);
    if (!m) fail('SESSION_SECRET', 'is malformed', 'Use one secret, or a list like "2:newsecret,1:oldsecret".');
    const [, id, secret] = m as unknown as [string, string, string];
    if (secret.length < 32) fail('SESSION_SECRET', 'is too short', 'Use at least 32 random characters (e.g. `openssl rand -base64 48`).');
    // Under any id of a rotation list.
    if (production && secret === DEV_SESSION_SECRET)
      fail('SESSION_SECRET', `is the development default (as id ${id})`, 'Set a random secret of at least 32 characters.');
    map[id] = secret;
  }
  return map;
}

/** `k2:base64key,k1:base64key`: each key 32 bytes; the first one encrypts. */
function parseEncryptionKeys(raw: string, production: boolean): EncryptionKey[] {
  const fix = 'Use a list like "k2:<base64 of 32 random bytes>,k1:<older key>" (e.g. `openssl rand -base64 32`).';
  const keys = raw.split(',').map((entry) => {
    const m = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/=_-]+)$/.exec(entry.trim());
    if (!m) fail('ENCRYPTION_KEYS', 'is malformed', fix);
    const [, id, b64] = m as unknown as [string, string, string];
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) fail('ENCRYPTION_KEYS', `has key "${id}" that is not 32 bytes`, fix);
    if (production && key.equals(DEV_ENCRYPTION_KEY_BYTES))
      fail('ENCRYPTION_KEYS', `holds the development key (as "${id}")`, 'Generate a new key with `openssl rand -base64 32`.');
    return { id, key };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) fail('ENCRYPTION_KEYS', 'repeats a key id', fix);
  return keys;
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(String(issue.path[0] ?? 'environment'), 'is invalid', issue.message);
  }
  const v = parsed.data;
  const production = v.NODE_ENV === 'production';

  if (production && !v.SESSION_SECRET)
    fail('SESSION_SECRET', 'is missing', 'Set it to a random string of at least 32 characters (e.g. `openssl rand -base64 48`).');
  if (production && !v.ENCRYPTION_KEYS) fail('ENCRYPTION_KEYS', 'is missing', 'Set it to "k1:<base64 of 32 random bytes>" (e.g. `openssl rand -base64 32`).');
  if (production && !v.CRON_SECRET) fail('CRON_SECRET', 'is missing', 'Set it to a random string of at least 16 characters.');
  if (production && v.CRON_SECRET === DEV_CRON_SECRET)
    fail('CRON_SECRET', 'is the development default', 'Set it to a random string of at least 16 characters (e.g. `openssl rand -base64 24`).');
  if (v.CRON_SECRET && v.CRON_SECRET.length < 16) fail('CRON_SECRET', 'is too short', 'Use at least 16 random characters.');

  if (v.SCAN_WORKERS !== undefined)
    fail('SCAN_WORKERS', 'was renamed', `Name it WORKER_THREADS (the same threads now also deflate Amplify's zip): WORKER_THREADS=${v.SCAN_WORKERS}.`);

  const cloudPort = Number(v.CLOUD_PORT ?? LOCAL_CLOUD_PORT);
  if (!Number.isInteger(cloudPort) || cloudPort < 1 || cloudPort > 65535) fail('CLOUD_PORT', 'is not a port number', 'Use a number between 1 and 65535.');

  const whole = (name: string, raw: string | undefined, fallback: number, fix: string) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1) fail(name, 'is not a positive whole number', fix);
    return n;
  };
  const previewOrigin = v.PREVIEW_ORIGIN ?? (production ? undefined : `http://preview.localhost:${v.PORT ?? 3000}`);
  if (previewOrigin) {
    let url: URL | undefined;
    try {
      url = new URL(previewOrigin);
    } catch {}
    if (!url || url.origin !== previewOrigin.replace(/\/+$/, '') || !/^https?:$/.test(url.protocol))
      fail('PREVIEW_ORIGIN', 'is not an origin', 'Use a scheme and host only, e.g. https://preview.example-usercontent.com.');
    if (v.APP_URL && new URL(v.APP_URL).host === url.host)
      fail('PREVIEW_ORIGIN', "is the app's own origin", "Serve previews from a separate domain, so user pages never run under the app's cookies.");
  }

  return {
    nodeEnv: v.NODE_ENV,
    blobStore: parseBlobStore(v),
    previewOrigin: previewOrigin?.replace(/\/+$/, ''),
    storageQuotaBytes: whole('STORAGE_QUOTA_BYTES', v.STORAGE_QUOTA_BYTES, 1024 ** 3, 'Use a number of bytes, e.g. 1073741824 for 1 GB.'),
    storageMaxFiles: whole('STORAGE_MAX_FILES', v.STORAGE_MAX_FILES, 200_000, 'Use a number of files, e.g. 200000.'),
    workerThreads: workerThreadsOf(v.WORKER_THREADS),
    maxSseStreamsPerUser: whole('MAX_SSE_STREAMS_PER_USER', v.MAX_SSE_STREAMS_PER_USER, 20, 'Use a number such as 20.'),
    isProduction: production,
    appUrl: v.APP_URL,
    databaseUrl: v.DATABASE_URL,
    pgliteDataDir: v.PGLITE_DATA_DIR ?? '.data/pglite',
    neonWsProxy: v.NEON_WS_PROXY,
    sessionPasswords: parseSessionSecret(v.SESSION_SECRET ?? DEV_SESSION_SECRET, production),
    encryptionKeys: parseEncryptionKeys(v.ENCRYPTION_KEYS ?? DEV_ENCRYPTION_KEY, production),
    cronSecret: v.CRON_SECRET ?? DEV_CRON_SECRET,
    cloudPort,
    deployLeaseMs: Number(v.DEPLOY_LEASE_MS ?? 30_000) || 30_000,
    deploySweepMs: v.DEPLOY_SWEEP_MS === undefined ? 30_000 : Math.max(0, Number(v.DEPLOY_SWEEP_MS) || 0),
    platformQuota: Object.fromEntries(
      DEPLOYMENT_PLATFORMS.flatMap((platform) => {
        const name = `QUOTA_${platform.toUpperCase()}`;
        const raw = source[name]?.trim() || undefined;
        if (raw === undefined) return [];
        const n = Number(raw);
        if (!Number.isInteger(n) || n < 0) fail(name, 'is not a whole number', 'Use the number of live quick-deploy sites allowed, e.g. 80.');
        return [[platform, n]];
      }),
    ),
  };
}

function workerThreadsOf(raw: string | undefined): number {
  // One per core, although the main thread needs one too: with one worker fewer on two cores a 50 MB
  // quick deploy peaked ~50 MB lower but took ~15 % longer (its scan fell behind the upload).
  if (raw === undefined) return os.availableParallelism() >= 2 ? Math.min(4, os.availableParallelism()) : 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    fail('WORKER_THREADS', 'is not a whole number from 0 to 64', 'Use the number of threads for the scan and the zip, e.g. 2; 0 does both on the main thread.');
  return n;
}

function parseBlobStore(v: z.infer<typeof schema>): Env['blobStore'] {
  const kind = v.BLOB_STORE ?? 'fs';
  if (kind === 'fs') return { kind, dir: v.BLOB_DIR ?? '.data/blobs' };
  if (kind !== 's3') fail('BLOB_STORE', `is "${kind}"`, 'Use "fs" (a folder, BLOB_DIR) or "s3" (S3-compatible object storage, S3_*).');
  const need = (name: 'S3_ENDPOINT' | 'S3_BUCKET' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY', fix: string) =>
    v[name] ?? fail(name, 'is missing (BLOB_STORE=s3)', fix);
  const endpoint = need('S3_ENDPOINT', 'Set the storage endpoint, e.g. https://s3.us-east-1.amazonaws.com, or your R2 or MinIO endpoint.');
  if (!/^https?:\/\/[^/]+\/?$/.test(endpoint)) fail('S3_ENDPOINT', 'is not an origin', 'Use a scheme and host only, e.g. https://s3.us-east-1.amazonaws.com.');
  return {
    kind,
    endpoint: endpoint.replace(/\/+$/, ''),
    bucket: need('S3_BUCKET', 'Set the name of the bucket that holds the files.'),
    region: v.S3_REGION ?? 'auto',
    accessKeyId: need('S3_ACCESS_KEY_ID', 'Set the access key id of a key that may read and write the bucket.'),
    secretAccessKey: need('S3_SECRET_ACCESS_KEY', 'Set the secret of that key.'),
  };
}

let cached: Env | undefined;

/** The process's configuration, validated once. Throws ConfigError naming the variable at fault. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
