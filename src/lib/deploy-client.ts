// A client's deploy by content: the manifest crosses the network once. Negotiate answers what the
// server lacks and an id for the manifest; create names that id. A redeploy sends only what changed
// since the client's last deployment of the project (the server rebuilds the rest from that
// deployment): a small one in a single request, the changed files' bytes inline; a large one through
// negotiate. Either falls back to the whole manifest when the server cannot rebuild it.
import type { AuthMode, DeploymentPlatform } from './deployment';
import { diffManifests, manifestHash, normalizedManifest, type ManifestChanges, type ProposedManifest } from './manifest';

interface NegotiateTarget {
  platform: DeploymentPlatform;
  /** With the mode and the chat, the limits are checked at negotiate, before any byte is uploaded. */
  authMode?: AuthMode;
  chatId?: string;
}

/** Every file; or a delta: a base (one of the user's deployments: its id or its manifest hash) and the changes. */
export type NegotiateRequest = NegotiateTarget & ({ manifest: ProposedManifest } | { base: string; changes: ManifestChanges; manifestHash: string });

export interface NegotiateAnswer {
  /** SHA-256s to upload before create. */
  missing: string[];
  /** Names the manifest at create, for an hour. */
  manifestId: string;
}

export interface CreateByIdRequest {
  chatId: string;
  siteName?: string;
  platform: DeploymentPlatform;
  authMode: AuthMode;
  manifestId: string;
}

/**
 * A redeploy in one request: the changes against a base (as a delta negotiates them) and the bytes of
 * the changed files, base64 by SHA-256. The server hashes the bytes itself; a changed file whose
 * bytes are not here must be one the user holds already.
 */
export interface CreateFromChangesRequest extends Omit<CreateByIdRequest, 'manifestId'> {
  base: string;
  changes: ManifestChanges;
  manifestHash: string;
  files: Record<string, string>;
}

/** How much a redeploy may carry inline (decoded); a larger one negotiates and uploads. */
export const INLINE_CHANGES_LIMITS = { maxFiles: 100, maxBytes: 1024 * 1024 } as const;

/** What a client remembers of its last deployment of a project: enough to send only the changes next time. */
export interface DeployedManifest {
  hash: string;
  manifest: ProposedManifest;
}
/** Per project (chat id); a Map will do. */
export type LastDeployed = Pick<Map<string, DeployedManifest>, 'get' | 'set'>;

/** How the client reaches the server (tRPC in the product, plain fetch in the bench). */
export interface DeployCalls {
  negotiate(request: NegotiateRequest): Promise<NegotiateAnswer>;
  /** Uploads the files with these SHA-256s (src/lib/upload.ts). */
  upload(missing: string[]): Promise<void>;
  create(request: CreateByIdRequest): Promise<{ deploymentId: string }>;
  /** deployments.create with the changes and their bytes (a small redeploy); without it every redeploy negotiates. */
  createFromChanges?(request: CreateFromChangesRequest): Promise<{ deploymentId: string }>;
}

export type DeployStep = 'negotiated' | 'uploaded' | 'created';

/** The server refuses a delta it cannot rebuild (unknown base, hash mismatch) with CONFLICT. */
const deltaRefused = (err: unknown) => (err as { data?: { code?: string } } | null)?.data?.code === 'CONFLICT';

export async function deployManifest(
  files: ProposedManifest,
  target: Omit<CreateByIdRequest, 'manifestId'>,
  calls: DeployCalls,
  options: {
    last?: LastDeployed;
    onStep?: (step: DeployStep) => void;
    /** A file's bytes by SHA-256: with them (and `calls.createFromChanges`), a small redeploy is one request. */
    bytesOf?: (sha256: string) => Uint8Array | undefined;
  } = {},
): Promise<{ deploymentId: string; missing: string[]; delta: boolean }> {
  const negotiateTarget = { platform: target.platform, authMode: target.authMode, chatId: target.chatId };
  const last = options.last?.get(target.chatId);
  const manifest = normalizedManifest(files, last?.manifest);
  const hash = manifest && (await manifestHash(manifest));
  const previous = manifest && last;
  const remember = () => manifest && hash && options.last?.set(target.chatId, { hash, manifest });
  let answer: NegotiateAnswer | undefined;
  if (manifest && hash && previous) {
    const delta = { base: previous.hash, changes: diffManifests(previous.manifest, manifest), manifestHash: hash };
    const inline = calls.createFromChanges && options.bytesOf && inlineBytes(delta.changes, options.bytesOf);
    try {
      if (inline) {
        const { deploymentId } = await calls.createFromChanges!({ ...target, ...delta, files: inline });
        for (const step of ['negotiated', 'uploaded', 'created'] as const) options.onStep?.(step);
        remember();
        return { deploymentId, missing: Object.keys(inline), delta: true };
      }
      answer = await calls.negotiate({ ...negotiateTarget, ...delta });
    } catch (err) {
      if (!deltaRefused(err)) throw err;
    }
  }
  const delta = answer !== undefined;
  answer ??= await calls.negotiate({ ...negotiateTarget, manifest: manifest ?? files });
  options.onStep?.('negotiated');
  await calls.upload(answer.missing);
  options.onStep?.('uploaded');
  const { deploymentId } = await calls.create({ ...target, manifestId: answer.manifestId });
  options.onStep?.('created');
  remember();
  return { deploymentId, missing: answer.missing, delta };
}

/** The changed files' bytes, base64 by SHA-256, when they are few and small enough to go inline; else undefined. */
function inlineBytes(changes: ManifestChanges, bytesOf: (sha256: string) => Uint8Array | undefined): Record<string, string> | undefined {
  const blobs = new Map(Object.values(changes.changed).map((f) => [f.sha256, f.size]));
  const total = [...blobs.values()].reduce((n, size) => n + size, 0);
  if (blobs.size > INLINE_CHANGES_LIMITS.maxFiles || total > INLINE_CHANGES_LIMITS.maxBytes) return undefined;
  const out: Record<string, string> = {};
  for (const sha256 of blobs.keys()) {
    const bytes = bytesOf(sha256);
    if (!bytes) return undefined;
    out[sha256] = base64Of(bytes);
  }
  return out;
}

/** Base64 with the browser's own btoa, over a binary string built in slices (a spread of a large array overflows the stack). */
function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
