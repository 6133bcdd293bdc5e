// A client's deploy by content: the manifest crosses the network once. Negotiate answers what the
// server lacks and an id for the manifest; create names that id. A redeploy negotiates only what
// changed since the client's last deployment of the project (the server rebuilds the rest from that
// deployment), and falls back to the whole manifest when the server cannot.
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
}

export type DeployStep = 'negotiated' | 'uploaded' | 'created';

/** The server refuses a delta it cannot rebuild (unknown base, hash mismatch) with CONFLICT. */
const deltaRefused = (err: unknown) => (err as { data?: { code?: string } } | null)?.data?.code === 'CONFLICT';

export async function deployManifest(
  files: ProposedManifest,
  target: Omit<CreateByIdRequest, 'manifestId'>,
  calls: DeployCalls,
  options: { last?: LastDeployed; onStep?: (step: DeployStep) => void } = {},
): Promise<{ deploymentId: string; missing: string[]; delta: boolean }> {
  const negotiateTarget = { platform: target.platform, authMode: target.authMode, chatId: target.chatId };
  const manifest = normalizedManifest(files);
  const hash = manifest && (await manifestHash(manifest));
  const previous = manifest && options.last?.get(target.chatId);
  let answer: NegotiateAnswer | undefined;
  if (manifest && hash && previous) {
    try {
      answer = await calls.negotiate({ ...negotiateTarget, base: previous.hash, changes: diffManifests(previous.manifest, manifest), manifestHash: hash });
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
  if (manifest && hash) options.last?.set(target.chatId, { hash, manifest });
  return { deploymentId, missing: answer.missing, delta };
}
