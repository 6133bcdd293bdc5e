// The client side of the bench, over loopback HTTP: what the product's browser client does to deploy (hash,
// negotiate, upload, create, follow the events), timed phase by phase, and the bench server's own figures.
import { createHash } from 'node:crypto';
import type { RunningCloud } from '@/emulator/server';
import { now } from './figures';
import type { Site } from './workloads';
import { readSse } from '../src/testing/sse';
import {
  deployManifest,
  type CreateByIdRequest,
  type CreateFromChangesRequest,
  type DeployCalls,
  type DeployedManifest,
  type DeployStep,
  type NegotiateAnswer,
} from '../src/lib/deploy-client';
import { uploadMissing } from '../src/lib/upload';

export let base = '';
export let auth = '';

/** The bench server to talk to, and the API key to talk to it with (set once the server is up). */
export function connect(serverBase: string): void {
  base = serverBase;
}
export function authorize(header: string): void {
  auth = header;
}

export async function trpc<T>(procedure: string, input: unknown): Promise<{ data: T; sent: number }> {
  const body = JSON.stringify({ json: input });
  const res = await fetch(`${base}/api/trpc/${procedure}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body });
  const out = (await res.json()) as { result?: { data: { json: T } }; error?: { json: { message: string; data?: { code?: string } } } };
  // `data` as a tRPC client error carries it: the deploy client reads its code (a refused delta).
  if (!out.result) throw Object.assign(new Error(`${procedure}: ${out.error?.json.message ?? res.status}`), { data: out.error?.json.data });
  return { data: out.result.data.json, sent: Buffer.byteLength(body) };
}

interface StatusEvent {
  id: number;
  status: string;
  step: string;
  receivedAt: number; // Date.now() in this process
}

/** Follows a deployment's SSE until it is ready/error/canceled; each event with its arrival time. */
export async function follow(deploymentId: string, onOpen?: () => void): Promise<StatusEvent[]> {
  const res = await fetch(`${base}/api/deployments/${deploymentId}/events`, { headers: { authorization: auth } });
  if (!res.ok) throw new Error(`events: ${res.status} ${await res.text()}`);
  onOpen?.();
  // Each event's arrival time is taken as it is read.
  const arrivals: number[] = [];
  const raw = await readSse(
    res,
    (e) => {
      arrivals.push(Date.now());
      return ['ready', 'error', 'canceled'].includes((JSON.parse(e.data!) as { status: string }).status);
    },
    30 * 60_000,
  );
  return raw.map((e, i) => {
    const d = JSON.parse(e.data!) as { status: string; step: string };
    return { id: Number(e.id), status: d.status, step: d.step, receivedAt: arrivals[i]! };
  });
}

export interface DeployResult {
  deploymentId: string;
  status: string;
  phases: { hash: number; negotiate: number; upload: number; create: number; follow: number; total: number; createToReady: number };
  uploaded: number;
  /** Negotiated as a delta against the last deployment of the chat (a redeploy). */
  delta: boolean;
  clientBytes: number;
  manifestJsonBytes: number;
}

/** What this client deployed last, per chat: a redeploy sends only its changes. */
const lastDeployed = new Map<string, DeployedManifest>();

/**
 * What the product's client does (src/lib/deploy-client.ts): hash, negotiate once, upload what is missing,
 * create by id (a small redeploy: one create with its changes), follow to the end.
 */
export async function deploy(site: Site, platform: 'cloudflare' | 'amplify', chatId: string): Promise<DeployResult> {
  const t0 = now();
  const manifest: Record<string, { sha256: string; size: number }> = {};
  const bytesBySha = new Map<string, Buffer>();
  for (const [p, bytes] of site) {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    manifest[p] = { sha256, size: bytes.length };
    bytesBySha.set(sha256, bytes);
  }
  const t1 = now();
  const marks: Partial<Record<DeployStep, number>> = {};
  let sent = 0;
  let uploadBytes = 0;
  // The browser's own upload code: small files many to a request, large ones alone.
  const hashed = [...bytesBySha].map(([sha256, bytes]) => ({ path: sha256, sha256, bytes }));
  // deployments.create, by a negotiated manifest's id or with a redeploy's changes.
  const create = async (request: CreateByIdRequest | CreateFromChangesRequest) => {
    const created = await trpc<{ deploymentId: string }>('deployments.create', request);
    sent += created.sent;
    return created.data;
  };
  const calls: DeployCalls = {
    negotiate: async (request) => {
      const answer = await trpc<NegotiateAnswer>('files.negotiate', request).finally(() => (sent += Buffer.byteLength(JSON.stringify({ json: request }))));
      return answer.data;
    },
    upload: (missing) => uploadMissing(hashed, missing, (p) => (uploadBytes = p.bytes), { baseUrl: base, headers: { authorization: auth } }),
    create,
    createFromChanges: create,
  };
  const result = await deployManifest(manifest, { chatId, siteName: chatId, platform, authMode: 'platform-managed' }, calls, {
    last: lastDeployed,
    bytesOf: (sha256) => bytesBySha.get(sha256),
    onStep: (step) => (marks[step] = now()),
  });
  const [t2, t3, t4] = [marks.negotiated!, marks.uploaded!, marks.created!];
  const events = await follow(result.deploymentId);
  const t5 = now();
  return {
    deploymentId: result.deploymentId,
    status: events.at(-1)?.status ?? 'unknown',
    phases: { hash: t1 - t0, negotiate: t2 - t1, upload: t3 - t2, create: t4 - t3, follow: t5 - t4, total: t5 - t0, createToReady: t5 - t3 },
    uploaded: result.missing.length,
    delta: result.delta,
    clientBytes: sent + uploadBytes,
    manifestJsonBytes: Buffer.byteLength(JSON.stringify(manifest)),
  };
}

export const benchGet = async <T>(p: string): Promise<T> => (await (await fetch(`${base}/_bench/${p}`)).json()) as T;
export interface ServerStats {
  peakRss: number;
  /** How the peak was taken: the kernel's high-water mark (exact) or samples. */
  peakFrom: string;
  rss: number;
  atPeak: NodeJS.MemoryUsage;
  cpuMs: number;
  bytesIn: Record<string, number>;
  requests: Record<string, number>;
  statusReads: number;
  driver: string;
}

/** Time per server step, from the deployment's events (database timestamps). */
export async function serverSteps(deploymentId: string): Promise<Record<string, number>> {
  const events = await benchGet<{ step: string; at: number }[]>(`events?id=${deploymentId}`);
  const steps: Record<string, number> = {};
  for (let i = 0; i + 1 < events.length; i++) steps[events[i]!.step] = (steps[events[i]!.step] ?? 0) + events[i + 1]!.at - events[i]!.at;
  return steps;
}

export function cloudBytes(cloud: RunningCloud): { total: number; byRoute: Record<string, number> } {
  const byRoute = { ...cloud.stats.bytesReceived };
  return { total: Object.values(byRoute).reduce((a, b) => a + b, 0), byRoute };
}
