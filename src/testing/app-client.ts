// The app as its callers reach it, in process: a browser (session cookie, tRPC through the real
// /api/trpc route handler, blobs through the real upload routes) and an integrator (an API key on the
// REST routes). Nothing is mocked: each call is a Web Request handed to the route Next would run.
import { eq, sql } from 'drizzle-orm';
import { POST as signUpRoute } from '@/app/api/auth/sign-up/route';
import { POST as postBlobs } from '@/app/api/blobs/route';
import { PUT as putBlob } from '@/app/api/blobs/[sha256]/route';
import { POST as platformDeploy } from '@/app/api/deploy/[platform]/route';
import type { DeployCalls } from '@/lib/deploy-client';
import type { DeploymentPlatform } from '@/lib/deployment';
import { uploadMissing, type HashedFile } from '@/lib/upload';
import { createApiKey } from '@/server/auth/api-keys';
import { sha256Hex } from '@/server/deploy/blob-keys';
import type { Db } from '@/server/db/client';
import { deployments } from '@/server/db/schema';
import { uniqueEmail } from './db';
import { APP_ORIGIN, jsonRequest, sessionCookieFrom } from './http';
import { trpcOverHttp, type TrpcHttpClient } from './trpc-http';

export interface AppCaller {
  userId: string;
  email: string;
  cookie: string;
  /** An API key with the default scopes (deploy, status). */
  key: string;
  trpc: TrpcHttpClient;
  /** Request body bytes sent so far, per tRPC procedure and `blobs` for uploads (tests may reset it). */
  sent: Record<string, number>;
}

/** A new account, signed up through the real route (its session cookie), with an API key. */
export async function newAppCaller(db: Db, label = 'caller'): Promise<AppCaller> {
  const email = uniqueEmail(label);
  const res = await signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: 'a long enough password' }, { headers: { origin: APP_ORIGIN } }));
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const cookie = sessionCookieFrom(res);
  const { user } = (await res.json()) as { user: { id: string } };
  const { key } = await createApiKey(db, user.id, 'test');
  const sent: Record<string, number> = {};
  const trpc = trpcOverHttp({ cookie }, (procedure, bytes) => (sent[procedure] = (sent[procedure] ?? 0) + bytes));
  return { userId: user.id, email, cookie, key, trpc, sent };
}

/** How many deployments the user has (a refusal must not add one). */
export async function deploymentCount(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(deployments)
    .where(eq(deployments.userId, userId));
  return row!.n;
}

/** `POST /api/{platform}-deploy` with the files inline, as an integrator sends it. */
export function restDeploy(caller: AppCaller, platform: DeploymentPlatform, body: Record<string, unknown>): Promise<Response> {
  return platformDeploy(
    new Request(`${APP_ORIGIN}/api/${platform}-deploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${caller.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
    { params: Promise.resolve({ platform }) },
  );
}

/** The browser's blob uploads (src/lib/upload.ts) through the real routes, with the session cookie. */
export function uploadBlobs(caller: AppCaller, files: HashedFile[]): Promise<void> {
  return uploadMissing(
    files,
    files.map((f) => f.sha256),
    () => {},
    {
      fetch: async (url, init) => {
        const request = new Request(`${APP_ORIGIN}${url}`, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), cookie: caller.cookie, origin: APP_ORIGIN, host: new URL(APP_ORIGIN).host },
        });
        caller.sent.blobs = (caller.sent.blobs ?? 0) + (await request.clone().arrayBuffer()).byteLength;
        return init.method === 'POST' ? postBlobs(request) : putBlob(request);
      },
    },
  );
}

export const hashed = (path: string, bytes: Uint8Array | string): HashedFile => {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return { path, bytes: b, sha256: sha256Hex(b) };
};

/**
 * The browser's deploy of a site: negotiate the whole manifest, upload what the server lacks, create
 * by the manifest's id. `declare` may change the size a file is declared with (a lying client).
 * Answers the deployment id.
 */
export async function browserDeploy(
  caller: AppCaller,
  platform: DeploymentPlatform,
  files: Record<string, Uint8Array | string>,
  options: { chatId?: string; authMode?: 'platform-managed' | 'user-token'; declare?: (path: string, size: number) => number } = {},
): Promise<string> {
  const list = Object.entries(files).map(([path, bytes]) => hashed(path, bytes));
  const manifest = Object.fromEntries(list.map((f) => [f.path, { sha256: f.sha256, size: options.declare?.(f.path, f.bytes.length) ?? f.bytes.length }]));
  const chatId = options.chatId ?? `chat-${Math.random().toString(36).slice(2, 10)}`;
  const authMode = options.authMode ?? 'platform-managed';
  const { missing, manifestId } = await caller.trpc.files.negotiate.mutate({ platform, authMode, chatId, manifest });
  await uploadBlobs(
    caller,
    list.filter((f) => missing.includes(f.sha256)),
  );
  const { deploymentId } = await caller.trpc.deployments.create.mutate({ chatId, platform, authMode, manifestId });
  return deploymentId;
}

/** The client deploy (src/lib/deploy-client.ts) of these files, over the caller's tRPC and blob uploads. */
export function deployCalls(caller: AppCaller, files: HashedFile[]): DeployCalls {
  // deployments.create takes a negotiated manifest's id, or a redeploy's changes with their bytes.
  const create = (request: Parameters<AppCaller['trpc']['deployments']['create']['mutate']>[0]) => caller.trpc.deployments.create.mutate(request);
  return {
    negotiate: (request) => caller.trpc.files.negotiate.mutate(request),
    upload: (missing) =>
      uploadBlobs(
        caller,
        files.filter((f) => missing.includes(f.sha256)),
      ),
    create,
    createFromChanges: create,
  };
}
