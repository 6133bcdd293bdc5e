// What an API key may do, through the real tRPC route handler and the real REST routes: `deploy` and
// `status` open exactly their procedures; everything else needs a session (403 for any key, even an
// admin's); an expired key is 401 saying so. Every procedure of the router is covered.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { ApiKeyScope } from '@/lib/api-key-scopes';
import { POST as signUpRoute } from '@/app/api/auth/sign-up/route';
import { POST as postBlobs } from '@/app/api/blobs/route';
import { PUT as putBlob } from '@/app/api/blobs/[sha256]/route';
import { POST as platformDeploy } from '@/app/api/deploy/[platform]/route';
import { GET as deployStatus } from '@/app/api/deploy-status/route';
import { GET as deploymentEvents } from '@/app/api/deployments/[id]/events/route';
import { GET as meRoute } from '@/app/api/me/route';
import { grantAdmin } from '@/server/admin/roles';
import { createApiKey, listApiKeys } from '@/server/auth/api-keys';
import { apiKeys, deployments } from '@/server/db/schema';
import { BlobStore } from '@/server/deploy/blob-store';
import { decodeInlineFiles, storeInlineFiles } from '@/server/deploy/files';
import { createDeployment } from '@/testing/deploy';
import { useDeploySettings } from '@/testing/deploy-settings';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { APP_ORIGIN, jsonRequest, sessionCookieFrom } from '@/testing/http';
import { answerOf, trpcOverHttp } from '@/testing/trpc-http';
import { appRouter } from './root';

const cloudflareDeploy = (request: Request) => platformDeploy(request, { params: Promise.resolve({ platform: 'cloudflare' }) });

const getDb = useTestDb();
// The shared test database keeps live quick deploys of other files (and earlier runs): the shared
// accounts' quotas are not what these tests are about (service-http.test.ts is).
const { settings } = useDeploySettings({ limits: { platformQuota: { cloudflare: 1e6, amplify: 1e6, netlify: 1e6, vercel: 1e6 } } });

/** The procedures a key may call, and the scope each needs. Every other procedure is session-only. */
const SCOPED: Record<string, ApiKeyScope> = {
  'deployments.create': 'deploy',
  'deployments.redeploy': 'deploy',
  'deployments.rollback': 'deploy',
  'deployments.cancel': 'deploy',
  'projects.deploy': 'deploy',
  'files.negotiate': 'deploy',
  'files.missing': 'deploy',
  'deployments.get': 'status',
  'deployments.list': 'status',
  'deployments.log': 'status',
};

let userId: string;
let email: string;
let cookie: string;
let deploymentId: string;
const keys = {} as Record<'deploy' | 'status' | 'both' | 'expired', string>;

beforeAll(async () => {
  const db = await getDb();
  email = uniqueEmail('scopes');
  const res = await signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: 'a long enough password' }));
  cookie = sessionCookieFrom(res);
  userId = (await res.json()).user.id;
  // An admin too: a key must not open admin procedures even for an admin.
  await grantAdmin(db, email, { kind: 'cli' });
  keys.deploy = (await createApiKey(db, userId, 'deploy only', { scopes: ['deploy'] })).key;
  keys.status = (await createApiKey(db, userId, 'status only', { scopes: ['status'] })).key;
  keys.both = (await createApiKey(db, userId, 'default')).key;
  const expired = await createApiKey(db, userId, 'expired', { expiresInDays: 30 });
  await db
    .update(apiKeys)
    .set({ expiresAt: new Date(Date.now() - 60_000) })
    .where(eq(apiKeys.id, expired.id));
  keys.expired = expired.key;

  const { proposed, bytes } = decodeInlineFiles({ 'index.html': '<h1>scopes</h1>' });
  await storeInlineFiles(new BlobStore(db), userId, bytes);
  deploymentId = (
    await createDeployment(db, { userId, chatId: 'scopes-chat', platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed }, { settings })
  ).deploymentId;
  // Finished, so reading its status redrives no runner in the background.
  await db.update(deployments).set({ status: 'ready', url: 'https://scopes.example' }).where(eq(deployments.id, deploymentId));
});

type AnyClient = Record<string, Record<string, { query: (i?: unknown) => Promise<unknown>; mutate: (i?: unknown) => Promise<unknown> }>>;
/** Calls a procedure by path with an input that satisfies none in particular: tiers answer before input checks. */
function call(client: ReturnType<typeof trpcOverHttp>, path: string) {
  const [router, name] = path.split('.') as [string, string];
  const type = (appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)[path]!._def.type;
  const proc = (client as unknown as AnyClient)[router]![name]!;
  const input = { id: deploymentId, userId, email, name: 'x', projectId: deploymentId, path: 'a', hashes: [], manifest: {}, platform: 'cloudflare', limit: 1 };
  return answerOf(type === 'query' ? proc.query(input) : proc.mutate(input));
}
const status = (a: Awaited<ReturnType<typeof answerOf>>) => (a === 'OK' ? 200 : a.status);
const allPaths = Object.keys(appRouter._def.procedures);

describe('API key scopes in tRPC', () => {
  it('lists only real procedures as scoped', () => {
    for (const path of Object.keys(SCOPED)) expect(allPaths).toContain(path);
  });

  it.each(allPaths.filter((p) => !SCOPED[p]))('a key with every scope gets 403 from session-only %s', async (path) => {
    const answer = await call(trpcOverHttp({ key: keys.both }), path);
    expect(answer).toEqual({ status: 403, message: expect.stringMatching(/^API keys cannot do this: sign in to the app\./) });
  });

  it.each(Object.entries(SCOPED))('%s needs the "%s" scope: 403 without it, past the tier with it', async (path, scope) => {
    const without = await call(trpcOverHttp({ key: scope === 'deploy' ? keys.status : keys.deploy }), path);
    expect(without).toEqual({
      status: 403,
      message: `This API key may not ${scope === 'deploy' ? 'deploy' : 'read status'} (it lacks the "${scope}" scope). Create a key with that scope in Settings.`,
    });
    const withScope = status(await call(trpcOverHttp({ key: keys[scope] }), path));
    expect([401, 403]).not.toContain(withScope);
  });

  it('a status key reads its own deployment; a deploy key negotiates files', async () => {
    expect((await trpcOverHttp({ key: keys.status }).deployments.get.query({ id: deploymentId })).id).toBe(deploymentId);
    const res = await trpcOverHttp({ key: keys.deploy }).files.missing.mutate({ hashes: ['0'.repeat(64)] });
    expect(res.missing).toEqual(['0'.repeat(64)]);
  });

  it('a key cannot mint a key: nothing is created', async () => {
    const before = (await listApiKeys(await getDb(), userId)).length;
    expect(status(await answerOf(trpcOverHttp({ key: keys.both }).apiKeys.create.mutate({ name: 'minted by a key' })))).toBe(403);
    expect((await listApiKeys(await getDb(), userId)).length).toBe(before);
  });

  it('an expired key gets 401 saying it expired; no key at all gets 401 asking to sign in', async () => {
    const expired = await answerOf(trpcOverHttp({ key: keys.expired }).deployments.list.query({}));
    expect(expired).toEqual({ status: 401, message: expect.stringMatching(/^This API key expired on \d{4}-\d{2}-\d{2}\. Create a new one in Settings\.$/) });
    expect(await answerOf(trpcOverHttp({ cookie: '' }).deployments.list.query({}))).toEqual({ status: 401, message: 'Sign in to continue.' });
  });

  it('the session does everything, and creates keys with the chosen scopes and expiry', async () => {
    const session = trpcOverHttp({ cookie });
    expect((await session.deployments.list.query({})).items.map((d: { id: string }) => d.id)).toContain(deploymentId);
    const created = await session.apiKeys.create.mutate({ name: 'status for 30 days', scopes: ['status'], expiresInDays: 30 });
    expect(created.scopes).toEqual(['status']);
    expect(created.expiresAt!.getTime() - Date.now()).toBeGreaterThan(29.9 * 86_400_000);
    const byDefault = await session.apiKeys.create.mutate({ name: 'defaults' });
    expect(byDefault.scopes).toEqual(['deploy', 'status']);
    expect(byDefault.expiresAt!.getTime() - Date.now()).toBeGreaterThan(89.9 * 86_400_000);
    const forever = await session.apiKeys.create.mutate({ name: 'forever', expiresInDays: null });
    expect(forever.expiresAt).toBeNull();
    const listed = await session.apiKeys.list.query();
    expect(listed.find((k) => k.id === created.id)).toMatchObject({ scopes: ['status'], name: 'status for 30 days' });
    expect(await answerOf(session.apiKeys.create.mutate({ name: 'none', scopes: [] }))).toMatchObject({ status: 400 });
    expect(await answerOf(session.apiKeys.create.mutate({ name: 'odd', expiresInDays: 7 as 30 }))).toMatchObject({ status: 400 });
    expect(await answerOf(session.apiKeys.create.mutate({ name: 'admin', scopes: ['admin' as 'deploy'] }))).toMatchObject({ status: 400 });
  });
});

describe('API key scopes on the REST routes', () => {
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const sha = () => randomBytes(32).toString('hex');

  it('GET /api/me answers for any valid key, whatever its scopes, and 401 for an expired one', async () => {
    for (const key of [keys.deploy, keys.status, keys.both]) {
      const res = await meRoute(new Request(`${APP_ORIGIN}/api/me`, { headers: bearer(key) }));
      expect(res.status).toBe(200);
      expect((await res.json()).user.email).toBe(email);
    }
    const expired = await meRoute(new Request(`${APP_ORIGIN}/api/me`, { headers: bearer(keys.expired) }));
    expect(expired.status).toBe(401);
    expect((await expired.json()).error.message).toMatch(/expired on/);
  });

  it('the upload and deploy routes need "deploy": a status key gets 403 and stores nothing', async () => {
    const h = sha();
    const put = await putBlob(new Request(`${APP_ORIGIN}/api/blobs/${h}`, { method: 'PUT', headers: bearer(keys.status), body: 'x' }));
    expect(put.status).toBe(403);
    expect((await put.json()).error.message).toMatch(/lacks the "deploy" scope/);
    const form = new FormData();
    form.append(h, new Blob(['x']), h);
    expect((await postBlobs(new Request(`${APP_ORIGIN}/api/blobs`, { method: 'POST', headers: bearer(keys.status), body: form }))).status).toBe(403);
    const deploy = await cloudflareDeploy(
      jsonRequest(
        '/api/cloudflare-deploy',
        { authMode: 'platform-managed', projectName: 'x', chatId: 'x', files: { 'index.html': 'x' } },
        { headers: bearer(keys.status) },
      ),
    );
    expect(deploy.status).toBe(403);
    expect(await new BlobStore(await getDb()).missing(userId, [h])).toEqual([h]);
  });

  it('the status and events routes need "status": a deploy key gets 403, a status key reads', async () => {
    const statusUrl = `${APP_ORIGIN}/api/deploy-status?deploymentId=${deploymentId}`;
    expect((await deployStatus(new Request(statusUrl, { headers: bearer(keys.deploy) }))).status).toBe(403);
    const read = await deployStatus(new Request(statusUrl, { headers: bearer(keys.status) }));
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ deploymentId, status: 'ready' });

    const eventsUrl = `${APP_ORIGIN}/api/deployments/${deploymentId}/events`;
    expect((await deploymentEvents(new Request(eventsUrl, { headers: bearer(keys.deploy) }))).status).toBe(403);
    const abort = new AbortController();
    const stream = await deploymentEvents(new Request(eventsUrl, { headers: bearer(keys.status), signal: abort.signal }));
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    abort.abort();
    await stream.body?.cancel();
  });

  it('shows when a key was last used', async () => {
    const db = await getDb();
    const fresh = await createApiKey(db, userId, 'used once', { scopes: ['status'] });
    expect((await listApiKeys(db, userId)).find((k) => k.id === fresh.id)!.lastUsedAt).toBeNull();
    await meRoute(new Request(`${APP_ORIGIN}/api/me`, { headers: bearer(fresh.key) }));
    const used = (await listApiKeys(db, userId)).find((k) => k.id === fresh.id)!.lastUsedAt;
    expect(used).toBeInstanceOf(Date);
    expect(Math.abs(used!.getTime() - Date.now())).toBeLessThan(60_000);
  });
});
