// Who may call which procedure: every procedure of the router is listed here, so a new one without
// an access test fails this file.
import { beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { GET as trpcGet, POST as trpcPost } from '@/app/api/trpc/[trpc]/route';
import { signUp, type SessionUser } from '@/server/auth/accounts';
import { createApiKey, listApiKeys } from '@/server/auth/api-keys';
import { countSessions, headerCookieStore, startSession } from '@/server/auth/session';
import { grantAdmin } from '@/server/admin/roles';
import { saveConnection } from '@/server/connections/store';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { APP_ORIGIN } from '@/testing/http';
import { manifestHash } from '@/lib/manifest';
import { appRouter, createCaller } from './root';
import { BlobStore } from '../deploy/blob-store';
import { decodeInlineFiles, storeInlineFiles } from '../deploy/files';
import { negotiateFiles } from '../deploy/service';
import { createDeployment } from '@/testing/deploy';
import { useDeploySettings } from '@/testing/deploy-settings';
import { createProject } from '../projects/service';

const getDb = useTestDb();
// The shared test database keeps live quick deploys of other files (and earlier runs): the shared
// accounts' quotas are not what these tests are about (service-http.test.ts is).
const { settings } = useDeploySettings({ limits: { platformQuota: { cloudflare: 1e6, amplify: 1e6, netlify: 1e6, vercel: 1e6 } } });
const PASSWORD = 'a long enough password';

let alice: SessionUser;
let bob: SessionUser;
let aliceKeyId: string;
let aliceConnectionId: string;
let aliceDeploymentId: string;
let aliceProjectId: string;
let aliceManifestId: string;
const aliceManifest = () => {
  const { proposed } = decodeInlineFiles({ 'index.html': '<h1>alice private</h1>' });
  return proposed;
};

beforeAll(async () => {
  const db = await getDb();
  alice = await signUp(db, { email: uniqueEmail('alice'), password: PASSWORD });
  bob = await signUp(db, { email: uniqueEmail('bob'), password: PASSWORD });
  aliceKeyId = (await createApiKey(db, alice.id, 'alice-ci')).id;
  await startSession(db, headerCookieStore(new Headers(), new Headers()), alice);
  aliceConnectionId = (
    await saveConnection(db, {
      userId: alice.id,
      platform: 'cloudflare',
      credentials: { apiToken: 'alice-token-0000' },
      hintOf: 'alice-token-0000',
      accountFacts: { accountName: 'Alice Co' },
    })
  ).id;
  aliceProjectId = (await createProject(db, alice.id, { name: 'Alice site', template: 'landing' })).id;
  const { bytes } = decodeInlineFiles({ 'index.html': '<h1>alice private</h1>' });
  await storeInlineFiles(new BlobStore(db), alice.id, bytes);
  aliceDeploymentId = (
    await createDeployment(
      db,
      { userId: alice.id, chatId: 'alice-chat', platform: 'cloudflare', authMode: 'platform-managed', manifest: aliceManifest() },
      { settings },
    )
  ).deploymentId;
  aliceManifestId = (await negotiateFiles(db, alice.id, { platform: 'cloudflare', manifest: aliceManifest() }, { settings })).manifestId;
});

const callerFor = async (user: SessionUser | null) => createCaller({ db: await getDb(), user });
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );

type Caller = Awaited<ReturnType<typeof callerFor>>;
/** For each procedure: what Bob does with Alice's rows in reach, and what Bob must get. */
const crossUserCases: Record<string, (bobCaller: Caller) => Promise<void>> = {
  'account.me': async (c) => expect((await c.account.me()).id).toBe(bob.id),
  'account.sessions': async (c) => expect((await c.account.sessions()).count).toBe(0),
  // Bob's "everywhere" is his own sessions only; Alice stays signed in (checked below).
  'account.signOutEverywhere': async (c) => expect((await c.account.signOutEverywhere()).endedSessions).toBe(0),
  'account.changePassword': async (c) =>
    expect(await c.account.changePassword({ currentPassword: PASSWORD, newPassword: 'bob has a new password now' })).toEqual({ endedSessions: 0 }),
  'apiKeys.list': async (c) => expect(await c.apiKeys.list()).toEqual([]),
  'apiKeys.create': async (c) => expect((await c.apiKeys.create({ name: 'bob' })).name).toBe('bob'),
  'apiKeys.revoke': async (c) => expect(await codeOf(c.apiKeys.revoke({ id: aliceKeyId }))).toBe('NOT_FOUND'),
  'connections.list': async (c) => expect(JSON.stringify(await c.connections.list())).not.toContain('Alice Co'),
  'connections.remove': async (c) => expect(await codeOf(c.connections.remove({ id: aliceConnectionId }))).toBe('NOT_FOUND'),
  'connections.save': async (c) =>
    // Bob's save only ever concerns Bob: it never touches Alice's row (the token is refused by the platform here).
    expect(await codeOf(c.connections.save({ platform: 'cloudflare', apiToken: 'x'.repeat(40), accountId: '0'.repeat(32) }))).not.toBe('OK'),
  'connections.test': async (c) => expect(await codeOf(c.connections.test({ id: aliceConnectionId }))).toBe('NOT_FOUND'),
  'deployments.create': async (c) => {
    // Alice's negotiated manifest is not Bob's to name.
    expect(await codeOf(c.deployments.create({ chatId: 'steal', platform: 'cloudflare', authMode: 'platform-managed', manifestId: aliceManifestId }))).toBe(
      'NOT_FOUND',
    );
    // Alice's uploaded files are not Bob's: knowing their hashes does not let him deploy them.
    const { manifestId } = await c.files.negotiate({ platform: 'cloudflare', manifest: aliceManifest() });
    expect(await codeOf(c.deployments.create({ chatId: 'steal', platform: 'cloudflare', authMode: 'platform-managed', manifestId }))).toBe('BAD_REQUEST');
  },
  'deployments.get': async (c) => expect(await codeOf(c.deployments.get({ id: aliceDeploymentId }))).toBe('NOT_FOUND'),
  'deployments.list': async (c) => expect(JSON.stringify(await c.deployments.list({ limit: 100 }))).not.toContain(aliceDeploymentId),
  'deployments.log': async (c) => expect(await codeOf(c.deployments.log({ id: aliceDeploymentId }))).toBe('NOT_FOUND'),
  'deployments.redeploy': async (c) => expect(await codeOf(c.deployments.redeploy({ id: aliceDeploymentId }))).toBe('NOT_FOUND'),
  'deployments.rollback': async (c) => expect(await codeOf(c.deployments.rollback({ id: aliceDeploymentId }))).toBe('NOT_FOUND'),
  'deployments.cancel': async (c) => expect(await codeOf(c.deployments.cancel({ id: aliceDeploymentId }))).toBe('NOT_FOUND'),
  'deployments.delete': async (c) => expect(await codeOf(c.deployments.delete({ id: aliceDeploymentId }))).toBe('NOT_FOUND'),
  'deployments.allowance': async (c) => expect((await c.deployments.allowance()).platformManaged.hourLeft).toBe(5),
  'projects.create': async (c) => expect((await c.projects.create({ name: 'bob site' })).userId).toBe(bob.id),
  'projects.list': async (c) => expect(JSON.stringify(await c.projects.list())).not.toContain(aliceProjectId),
  'projects.get': async (c) => expect(await codeOf(c.projects.get({ projectId: aliceProjectId }))).toBe('NOT_FOUND'),
  'projects.readText': async (c) => expect(await codeOf(c.projects.readText({ projectId: aliceProjectId, path: 'index.html' }))).toBe('NOT_FOUND'),
  'projects.saveText': async (c) =>
    expect(await codeOf(c.projects.saveText({ projectId: aliceProjectId, path: 'index.html', text: 'pwned' }))).toBe('NOT_FOUND'),
  'projects.addFiles': async (c) => expect(await codeOf(c.projects.addFiles({ projectId: aliceProjectId, files: {} }))).toBe('NOT_FOUND'),
  'projects.renameFile': async (c) =>
    expect(await codeOf(c.projects.renameFile({ projectId: aliceProjectId, from: 'index.html', to: 'x.html' }))).toBe('NOT_FOUND'),
  'projects.deleteFile': async (c) => expect(await codeOf(c.projects.deleteFile({ projectId: aliceProjectId, path: 'index.html' }))).toBe('NOT_FOUND'),
  'projects.deploy': async (c) =>
    expect(await codeOf(c.projects.deploy({ projectId: aliceProjectId, platform: 'cloudflare', authMode: 'platform-managed' }))).toBe('NOT_FOUND'),
  'files.missing': async (c) => expect((await c.files.missing({ hashes: [aliceManifest()['index.html']!.sha256] })).missing).toHaveLength(1),
  'files.negotiate': async (c) => {
    expect((await c.files.negotiate({ platform: 'cloudflare', manifest: aliceManifest() })).missing).toEqual([aliceManifest()['index.html']!.sha256]);
    // Alice's deployment is no base for Bob's delta, named by id or by its manifest hash.
    const manifestHashOfAlice = await manifestHash(aliceManifest());
    for (const base of [aliceDeploymentId, manifestHashOfAlice])
      expect(await codeOf(c.files.negotiate({ platform: 'cloudflare', base, changes: { changed: {}, removed: [] }, manifestHash: manifestHashOfAlice }))).toBe(
        'CONFLICT',
      );
  },
  'admin.overview': async (c) => expect(await codeOf(c.admin.overview())).toBe('FORBIDDEN'),
  'admin.users': async (c) => expect(await codeOf(c.admin.users())).toBe('FORBIDDEN'),
  'admin.rejections': async (c) => expect(await codeOf(c.admin.rejections())).toBe('FORBIDDEN'),
  'admin.deploymentsPerDay': async (c) => expect(await codeOf(c.admin.deploymentsPerDay())).toBe('FORBIDDEN'),
  'admin.runCleanup': async (c) => expect(await codeOf(c.admin.runCleanup())).toBe('FORBIDDEN'),
  'admin.expiring': async (c) => expect(await codeOf(c.admin.expiring())).toBe('FORBIDDEN'),
  'admin.failures': async (c) => expect(await codeOf(c.admin.failures())).toBe('FORBIDDEN'),
  'admin.userDeployments': async (c) => expect(await codeOf(c.admin.userDeployments({ email: alice.email }))).toBe('FORBIDDEN'),
  'admin.admins': async (c) => expect(await codeOf(c.admin.admins())).toBe('FORBIDDEN'),
  'admin.grantAdmin': async (c) => expect(await codeOf(c.admin.grantAdmin({ email: bob.email }))).toBe('FORBIDDEN'),
  'admin.revokeAdmin': async (c) => expect(await codeOf(c.admin.revokeAdmin({ userId: alice.id }))).toBe('FORBIDDEN'),
};

describe('access', () => {
  it('has a cross-user case for every procedure of the router', () => {
    expect(Object.keys(crossUserCases).sort()).toEqual(Object.keys(appRouter._def.procedures).sort());
  });

  it.each(Object.keys(crossUserCases))('user B cannot reach user A rows through %s', async (path) => {
    await crossUserCases[path]!(await callerFor(bob));
  });

  it("leaves Alice's rows untouched after Bob's attempts", async () => {
    const a = await callerFor(alice);
    expect((await a.apiKeys.list()).map((k) => k.id)).toContain(aliceKeyId);
    expect((await a.connections.list()).map((c) => c.id)).toEqual([aliceConnectionId]);
    expect((await a.deployments.get({ id: aliceDeploymentId })).status).toBe('pending');
    expect((await a.projects.readText({ projectId: aliceProjectId, path: 'index.html' })).text).toContain('Alice site');
    expect(await countSessions(await getDb(), alice.id)).toBe(1);
    expect(bob.role).toBe('user');
  });

  it.each(Object.keys(crossUserCases))('an anonymous caller gets UNAUTHORIZED from %s', async (path) => {
    const [router, procedure] = path.split('.') as [string, string];
    const anonymous = (await callerFor(null)) as unknown as Record<string, Record<string, (i?: unknown) => Promise<unknown>>>;
    expect(
      await codeOf(
        anonymous[router]![procedure]!({
          id: aliceKeyId,
          userId: alice.id,
          currentPassword: PASSWORD,
          newPassword: 'x'.repeat(12),
          name: 'x',
          limit: 1,
          email: 'x@y.z',
          projectId: aliceProjectId,
          path: 'a',
          text: '',
          files: {},
          hashes: [],
          from: 'a',
          to: 'b',
          platform: 'cloudflare',
          authMode: 'platform-managed',
        }),
      ),
    ).toBe('UNAUTHORIZED');
  });

  it('lets an admin read the operator procedures', async () => {
    const db = await getDb();
    const ops = await signUp(db, { email: uniqueEmail('ops'), password: PASSWORD });
    await grantAdmin(db, ops.email, { kind: 'cli' });
    const a = await callerFor({ ...ops, role: 'admin' }); // as the next request reads it from the database
    const overview = await a.admin.overview();
    expect(overview.users).toBeGreaterThanOrEqual(3);
    expect(overview.quota.map((q) => q.platform).sort()).toEqual(['amplify', 'cloudflare', 'netlify', 'vercel']);
    const ofAlice = await a.admin.userDeployments({ email: alice.email });
    expect(ofAlice.deployments.map((d) => d.id)).toContain(aliceDeploymentId);
    expect((await a.admin.deploymentsPerDay()).some((r) => r.platform === 'cloudflare' && r.n >= 1)).toBe(true);
  });
});

describe('tRPC over HTTP', () => {
  async function cookieFor(user: SessionUser) {
    const headers = new Headers();
    await startSession(await getDb(), headerCookieStore(new Headers(), headers), user);
    return headers.getSetCookie()[0]!.split(';')[0]!;
  }
  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    trpcPost(
      new Request(`${APP_ORIGIN}/api/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', host: '127.0.0.1:3000', ...headers },
        body: JSON.stringify({ json: body }),
      }),
    );

  it('answers 401 without a session and 403 to a non-admin on an admin procedure', async () => {
    const anon = await trpcGet(new Request(`${APP_ORIGIN}/api/trpc/account.me`));
    expect(anon.status).toBe(401);
    const forbidden = await trpcGet(new Request(`${APP_ORIGIN}/api/trpc/admin.overview`, { headers: { cookie: await cookieFor(bob) } }));
    expect(forbidden.status).toBe(403);
  });

  it('refuses a cross-site mutation that carries a valid cookie, and creates nothing', async () => {
    const cookie = await cookieFor(bob);
    const before = (await listApiKeys(await getDb(), bob.id)).length;
    const res = await post('apiKeys.create', { name: 'evil' }, { cookie, origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect((await listApiKeys(await getDb(), bob.id)).length).toBe(before);
    const ok = await post('apiKeys.create', { name: 'mine' }, { cookie, origin: APP_ORIGIN });
    expect(ok.status).toBe(200);
  });

  it('surfaces input errors as field errors with 400', async () => {
    const res = await post('apiKeys.create', { name: '' }, { cookie: await cookieFor(bob), origin: APP_ORIGIN });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.json.data.fieldErrors.name).toEqual(['Give the key a name.']);
  });
});
