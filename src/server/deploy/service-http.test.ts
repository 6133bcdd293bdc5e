// The deployment service through its real route handlers, the local cloud and a real database:
// REST create → 202 → SSE → ready → the URL serves the site; the error table; policy under
// concurrency; and privacy between users. Its own database: the quota counts every live site, and
// other test files create sites at the same time.
import '@/testing/isolated-db';
import { useLocalCloud } from '@/testing/local-cloud';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_CLOUDFLARE } from '@/lib/platforms/cloudflare/local';
import { POST as platformDeploy } from '@/app/api/deploy/[platform]/route';
import { GET as deployStatus } from '@/app/api/deploy-status/route';
import { GET as deploymentEvents } from '@/app/api/deployments/[id]/events/route';
import { signUp, type SessionUser } from '@/server/auth/accounts';
import { createApiKey } from '@/server/auth/api-keys';
import { createCaller } from '@/server/api/root';
import { fetchSite, hostOf, setFaults } from '@/testing/cloud';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { APP_ORIGIN } from '@/testing/http';
import { useDeploySettings } from '@/testing/deploy-settings';
import { readSse, type SseEvent } from '@/testing/sse';
import { eq } from 'drizzle-orm';
import { deployments } from '@/server/db/schema';
import { createDeployment } from '@/testing/deploy';
import { getStatusHub } from './background';
import { BlobStore } from './blob-store';
import { decodeInlineFiles, storeInlineFiles } from './files';
import { platformQuotaUsage } from './policy';
import { processDeploySettings } from './settings';

const cloudflareDeploy = (request: Request) => platformDeploy(request, { params: Promise.resolve({ platform: 'cloudflare' }) });

const cloud = useLocalCloud();
const getDb = useTestDb();
// Short retries for the runners the routes start; the limits are the product's unless a test changes them.
const fileSettings = useDeploySettings({ retries: { baseDelayMs: 5, maxDelayMs: 20, attempts: 3 }, runner: { retryDelayMs: 20 } });

interface Caller {
  user: SessionUser;
  key: string;
}
async function newCaller(label = 'user'): Promise<Caller> {
  const db = await getDb();
  const user = await signUp(db, { email: uniqueEmail(label), password: 'a long enough password' });
  return { user, key: (await createApiKey(db, user.id, 'test')).key };
}

const deployRequest = (caller: Caller, body: unknown) =>
  cloudflareDeploy(
    new Request(`${APP_ORIGIN}/api/cloudflare-deploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${caller.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
const events = (caller: Caller, id: string, lastEventId?: string) =>
  deploymentEvents(
    new Request(`${APP_ORIGIN}/api/deployments/${id}/events`, {
      headers: { authorization: `Bearer ${caller.key}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    }),
  );
const status = (caller: Caller, id: string) =>
  deployStatus(new Request(`${APP_ORIGIN}/api/deploy-status?deploymentId=${id}`, { headers: { authorization: `Bearer ${caller.key}` } }));
const terminal = (e: SseEvent) => ['ready', 'error', 'canceled'].includes(JSON.parse(e.data!).status);
const chat = () => `chat-${Math.random().toString(36).slice(2, 8)}`;

/** A quick deploy of one page to Cloudflare, created with no runner started (the test drives it, or not). */
async function withoutRunner(caller: Caller, page: string): Promise<string> {
  const db = await getDb();
  const { proposed, bytes } = decodeInlineFiles({ 'index.html': page });
  await storeInlineFiles(new BlobStore(db), caller.user.id, bytes);
  const created = await createDeployment(db, {
    userId: caller.user.id,
    chatId: chat(),
    platform: 'cloudflare',
    authMode: 'platform-managed',
    manifest: proposed,
  });
  return created.deploymentId;
}

let alice: Caller;
beforeAll(async () => {
  alice = await newCaller('alice');
});

describe('REST create → SSE → ready', () => {
  it('answers 202 at once, streams pending → building with progress → ready with the URL, and the URL serves the site', async () => {
    const res = await deployRequest(alice, {
      authMode: 'platform-managed',
      projectName: 'Landing',
      chatId: chat(),
      files: { 'index.html': '<h1>Hello from REST</h1>', 'logo.png': { base64: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]).toString('base64') } },
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toEqual({
      deploymentId: expect.any(String),
      status: 'pending',
      statusUrl: `/api/deploy-status?deploymentId=${body.deploymentId}`,
      eventsUrl: `/api/deployments/${body.deploymentId}/events`,
    });

    const stream = await events(alice, body.deploymentId);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const all = await readSse(stream, terminal);
    const payloads = all.map((e) => JSON.parse(e.data!));
    expect(all.every((e) => e.event === 'status' && Number(e.id) > 0)).toBe(true);
    expect(payloads[0]).toMatchObject({ deploymentId: body.deploymentId, platform: 'cloudflare', status: 'pending', step: 'queued' });
    expect(payloads.some((p) => p.status === 'building' && typeof p.progress === 'number' && p.progress > 0 && p.progress < 100)).toBe(true);
    const last = payloads.at(-1);
    expect(last).toMatchObject({ status: 'ready', progress: 100, url: expect.stringMatching(/^http:\/\/huskit-/) });
    const ids = all.map((e) => Number(e.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    const site = await fetchSite(cloud().url, hostOf(last.url), '/');
    expect(site.body.toString()).toBe('<h1>Hello from REST</h1>');

    const polled = await (await status(alice, body.deploymentId)).json();
    expect(polled).toMatchObject({ deploymentId: body.deploymentId, status: 'ready', url: last.url, progress: 100 });
  });

  it('resumes with Last-Event-ID: nothing lost, nothing repeated', async () => {
    const res = await deployRequest(alice, { authMode: 'platform-managed', projectName: 'Resume', chatId: chat(), files: { 'index.html': '<p>resume</p>' } });
    const { deploymentId } = await res.json();
    const full = await readSse(await events(alice, deploymentId), terminal);
    // A watcher that dropped after the second event reconnects from there.
    const firstPart = full.slice(0, 2);
    const rest = await readSse(await events(alice, deploymentId, firstPart.at(-1)!.id), terminal);
    expect([...firstPart, ...rest].map((e) => e.id)).toEqual(full.map((e) => e.id));
    expect(new Set(rest.map((e) => e.id)).size).toBe(rest.length);
  });
});

describe('the error table', () => {
  const errorOf = async (res: Response) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), ...(await res.json()).error });

  it('401 "Please connect your account first" → settings', async () => {
    const res = await deployRequest(await newCaller(), { authMode: 'user-token', projectName: 'x', chatId: chat(), files: { 'index.html': 'x' } });
    expect(await errorOf(res)).toMatchObject({ status: 401, message: expect.stringMatching(/^Please connect your account first/), action: 'settings' });
  });

  it('429 "Too many deployments. Try again in X minutes" with Retry-After → wait', async () => {
    fileSettings.forThisTest({ limits: { platformManagedPerHour: 1 } });
    const caller = await newCaller();
    expect((await deployRequest(caller, { authMode: 'platform-managed', projectName: 'a', chatId: chat(), files: { 'index.html': 'a' } })).status).toBe(202);
    const res = await deployRequest(caller, { authMode: 'platform-managed', projectName: 'b', chatId: chat(), files: { 'index.html': 'b' } });
    const err = await errorOf(res);
    expect(err).toMatchObject({ status: 429, message: expect.stringMatching(/^Too many deployments\. Try again in (60|59) minutes\.$/), action: 'wait' });
    expect(err.retryAfterSeconds).toBeGreaterThan(3500);
    expect(err.retryAfter).toBe(String(err.retryAfterSeconds));
  });

  it('429 "Platform deployment limit reached" → use your own account', async () => {
    fileSettings.forThisTest({ limits: { platformQuota: { cloudflare: 0 } } });
    const res = await deployRequest(await newCaller(), { authMode: 'platform-managed', projectName: 'q', chatId: chat(), files: { 'index.html': 'q' } });
    expect(await errorOf(res)).toMatchObject({ status: 429, message: expect.stringMatching(/^Platform deployment limit reached/), action: 'use-own-account' });
  });

  it('400 "Files exceed size limit" with the limits in the message → fix the files', async () => {
    const files = Object.fromEntries(Array.from({ length: 5001 }, (_, i) => [i ? `f${i}.txt` : 'index.html', 'x']));
    const res = await deployRequest(alice, { authMode: 'platform-managed', projectName: 'many', chatId: chat(), files });
    expect(await errorOf(res)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^Files exceed size limit: the site has 5,001 files; a deployment may have at most 5,000/),
      action: 'fix-files',
    });
  });

  it('counts the files before reading any: past 5,000, a bad file among them is not what is refused', async () => {
    const files: Record<string, string | { base64: string }> = Object.fromEntries(Array.from({ length: 5001 }, (_, i) => [`f${i}.txt`, '']));
    files['index.html'] = { base64: 'not base64!' };
    const res = await deployRequest(alice, { authMode: 'platform-managed', projectName: 'counted', chatId: chat(), files });
    expect(await errorOf(res)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^Files exceed size limit: the site has 5,002 files; a deployment may have at most 5,000/),
      action: 'fix-files',
    });
  });

  it('502 "service unavailable" → retry, and 504 "Deployment timed out" → status, on the status endpoint', async () => {
    await setFaults(cloud().url, { rules: [{ target: 'cloudflare', route: 'assets-upload-session', kind: 'status', status: 503 }] });
    try {
      const res = await deployRequest(alice, { authMode: 'platform-managed', projectName: 'down', chatId: chat(), files: { 'index.html': '<p>down</p>' } });
      const { deploymentId } = await res.json();
      await readSse(await events(alice, deploymentId), terminal, 60_000);
      expect(await (await status(alice, deploymentId)).json()).toMatchObject({
        status: 'error',
        httpStatus: 502,
        action: 'retry',
        error: expect.stringMatching(/having trouble/),
      });
    } finally {
      await setFaults(cloud().url, { rules: [] });
    }
    const db = await getDb();
    const deploymentId = await withoutRunner(alice, 'slow');
    await db
      .update(deployments)
      .set({ deadlineAt: new Date(Date.now() - 1) })
      .where(eq(deployments.id, deploymentId));
    await readSse(await events(alice, deploymentId), terminal, 30_000);
    expect(await (await status(alice, deploymentId)).json()).toMatchObject({
      status: 'error',
      httpStatus: 504,
      action: 'status',
      error: expect.stringMatching(/^Deployment timed out/),
    });
  }, 60_000);
});

describe('policy under concurrency', () => {
  it('20 simultaneous quick deploys from one user in a fresh hour: exactly 5 accepted', async () => {
    expect(processDeploySettings().limits.platformManagedPerHour).toBe(5);
    const caller = await newCaller('burst');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        deployRequest(caller, { authMode: 'platform-managed', projectName: `b${i}`, chatId: `burst-${i}`, files: { 'index.html': `<p>${i}</p>` } }),
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  }, 60_000);

  it('the quota of shared sites holds under 20 simultaneous new sites: exactly the free places are taken', async () => {
    const callers = await Promise.all(Array.from({ length: 20 }, () => newCaller('quota')));
    const db = await getDb();
    const used = (await platformQuotaUsage(db, fileSettings.settings.limits)).find((u) => u.platform === 'cloudflare')!.used;
    fileSettings.forThisTest({ limits: { platformQuota: { cloudflare: used + 3, amplify: 40 } } });
    const answers = await Promise.all(
      callers.map((c, i) =>
        deployRequest(c, { authMode: 'platform-managed', projectName: `q${i}`, chatId: `quota-${i}`, files: { 'index.html': `<p>q${i}</p>` } }),
      ),
    );
    const accepted = answers.filter((r) => r.status === 202).length;
    const refused = await Promise.all(answers.filter((r) => r.status === 429).map((r) => r.json()));
    expect(accepted).toBe(3);
    expect(refused).toHaveLength(17);
    expect(refused.every((b) => b.error.message.startsWith('Platform deployment limit reached'))).toBe(true);
  }, 60_000);
});

describe('privacy between users', () => {
  it("user B gets 404 for user A's deployment: status, events, get and log", async () => {
    const res = await deployRequest(alice, { authMode: 'platform-managed', projectName: 'mine', chatId: chat(), files: { 'index.html': 'mine' } });
    const { deploymentId } = await res.json();
    const bob = await newCaller('bob');
    expect((await status(bob, deploymentId)).status).toBe(404);
    expect((await events(bob, deploymentId)).status).toBe(404);
    // The same answer as for an id that does not exist at all: no existence oracle.
    const unknown = await status(bob, '00000000-0000-4000-8000-000000000000');
    expect([unknown.status, await unknown.json()]).toEqual([404, await (await status(bob, deploymentId)).json()]);
    const caller = createCaller({ db: await getDb(), user: bob.user });
    await expect(caller.deployments.get({ id: deploymentId })).rejects.toThrow(/not found/);
    await expect(caller.deployments.log({ id: deploymentId })).rejects.toThrow(/not found/);
  });

  it("B asking for the events of A's deployment opens nothing: a deployment waiting for its runner is not driven", async () => {
    const db = await getDb();
    const owner = await newCaller('owner');
    // As if its process had died before starting a runner: pending, no lease.
    const deploymentId = await withoutRunner(owner, `<p>waiting ${chat()}</p>`);
    const bob = await newCaller('bob');
    const readsBefore = getStatusHub().reads;
    expect((await events(bob, deploymentId)).status).toBe(404);
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    expect([row!.status, row!.attempts, row!.leaseOwner]).toEqual(['pending', 0, null]);
    // One read (whose deployment it is), none of its events.
    expect(getStatusHub().reads - readsBefore).toBe(1);

    // Its owner's watching drives it, as before, whoever else asks at the same moment.
    const [foreign, stream] = await Promise.all([events(bob, deploymentId), events(owner, deploymentId)]);
    expect(foreign.status).toBe(404);
    expect(stream.status).toBe(200);
    const seen = await readSse(stream, terminal, 30_000);
    expect(JSON.parse(seen.at(-1)!.data!).status).toBe('ready');
  });

  it("a connection's secret never appears in an API response, an event, an error or a log line", async () => {
    const db = await getDb();
    const caller = await newCaller('secret');
    const trpc = createCaller({ db, user: caller.user });
    const logged: string[] = [];
    const spies = (['log', 'info', 'warn', 'error'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args) => void logged.push(args.map(String).join(' '))),
    );
    try {
      const saved = await trpc.connections.save({ platform: 'cloudflare', apiToken: LOCAL_CLOUDFLARE.userToken, accountId: LOCAL_CLOUDFLARE.userAccountId });
      const wrong = await trpc.connections
        .save({ platform: 'cloudflare', apiToken: 'wrong-token-that-is-long-enough-0000', accountId: LOCAL_CLOUDFLARE.userAccountId })
        .catch((e: Error) => e.message);
      const res = await deployRequest(caller, { authMode: 'user-token', projectName: 'Secret Site', chatId: chat(), files: { 'index.html': 'secret site' } });
      const { deploymentId } = await res.json();
      const stream = await readSse(await events(caller, deploymentId), terminal);
      const everything = JSON.stringify([
        saved,
        wrong,
        await trpc.connections.list(),
        stream,
        await trpc.deployments.log({ id: deploymentId }),
        await (await status(caller, deploymentId)).json(),
        logged,
      ]);
      expect(saved).toMatchObject({
        platform: 'cloudflare',
        secretHint: `…${LOCAL_CLOUDFLARE.userToken.slice(-4)}`,
        accountFacts: { subdomain: LOCAL_CLOUDFLARE.userSubdomain },
      });
      expect(wrong).toMatch(/refused/);
      expect(JSON.parse(stream.at(-1)!.data!).status).toBe('ready');
      expect(everything).not.toContain(LOCAL_CLOUDFLARE.userToken);
      expect(everything).not.toContain('wrong-token-that-is-long-enough-0000');
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
  });
});
