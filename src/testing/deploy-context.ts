// A DeployContext in memory, for driving a platform adapter directly: files become blobs by SHA-256,
// saves merge into a checkpoint the test can read, reports are recorded as events, and blobs stream in
// small pieces as a store's would (each opening counted). The test says how the adapter retries and
// polls (`settings`), as the runner does from a deployment's settings.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { AuthMode } from '@/lib/deployment';
import { servedContentType, type Manifest } from '@/lib/site-files';
import type { AdapterSettings, DeployContext, SiteTarget } from '@/server/platforms/adapter';

export interface MemoryDeployContext<C> {
  ctx: DeployContext<C>;
  /** The same object the context saves into (opts.checkpoint when given). */
  checkpoint: Record<string, unknown>;
  events: { step: string; progress: number; message: string }[];
  /** The SHA-256 of every blob opened, in order (a retried upload opens its files again). */
  opened: string[];
}

/** Pieces a blob streams in: small, so that anything reading them has to put them together. */
const PIECE_BYTES = 16 * 1024;

export function memoryDeployContext<C>(opts: {
  mode: AuthMode;
  credentials: C;
  settings: AdapterSettings;
  files: Record<string, string | Buffer>;
  siteId?: string;
  siteName?: string;
  target?: SiteTarget;
  checkpoint?: Record<string, unknown>;
  rollbackTo?: Record<string, unknown>;
  /** Called with each patch before it is merged into the checkpoint (a throw stops the save). */
  onSave?: (patch: Record<string, unknown>) => void;
  /** Called on each report before it is recorded. */
  onReport?: (step: string, progress: number) => void;
}): MemoryDeployContext<C> {
  const blobs = new Map<string, Buffer>();
  const manifest: Manifest = {};
  for (const [path, content] of Object.entries(opts.files)) {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    blobs.set(sha256, bytes);
    manifest[path] = { sha256, size: bytes.length, contentType: servedContentType(path) };
  }
  const checkpoint = opts.checkpoint ?? {};
  const events: MemoryDeployContext<C>['events'] = [];
  const opened: string[] = [];
  const bytesOf = (sha: string) => {
    const bytes = blobs.get(sha);
    if (!bytes) throw new Error(`no blob ${sha}`);
    return bytes;
  };
  const ctx: DeployContext<C> = {
    deploymentId: randomUUID(),
    siteId: opts.siteId ?? randomUUID(),
    siteName: opts.siteName ?? 'My Site',
    mode: opts.mode,
    credentials: opts.credentials,
    target: opts.target ?? {},
    settings: opts.settings,
    manifest,
    ...(opts.rollbackTo ? { rollbackTo: opts.rollbackTo } : {}),
    openBlob: async (sha) => {
      const bytes = bytesOf(sha);
      opened.push(sha);
      const pieces = [];
      for (let at = 0; at < bytes.length; at += PIECE_BYTES) pieces.push(bytes.subarray(at, at + PIECE_BYTES));
      return Readable.from(pieces);
    },
    readSha1s: async (shas) => new Map(shas.map((sha) => [sha, createHash('sha1').update(bytesOf(sha)).digest('hex')] as const)),
    checkpoint,
    save: async (patch) => {
      opts.onSave?.(patch);
      Object.assign(checkpoint, patch);
    },
    report: async (step, progress, message) => {
      opts.onReport?.(step, progress);
      events.push({ step, progress, message });
    },
  };
  return { ctx, checkpoint, events, opened };
}
