// Redeploy, rollback, cancel and delete through the tRPC procedures, against the local cloud.
import { useLocalCloud } from '@/testing/local-cloud';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createCaller } from '@/server/api/root';
import { signUp, type SessionUser } from '@/server/auth/accounts';
import { cloudStats, fetchSite, hostOf, requestCount, setFaults } from '@/testing/cloud';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { createDeployment, deployFiles } from '@/testing/deploy';
import { useDeploySettings } from '@/testing/deploy-settings';
import { driveDeployment } from './runner';
import { BlobStore } from './blob-store';
import { decodeInlineFiles, storeInlineFiles } from './files';

const cloud = useLocalCloud();
const getDb = useTestDb();
// Short retries, no limits: for the procedures (and the runners they start) and what the tests drive.
const { settings } = useDeploySettings({
  retries: { baseDelayMs: 5, maxDelayMs: 20, attempts: 3 },
  runner: { retryDelayMs: 50 },
  limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6, platformQuota: {} },
});

let user: SessionUser;
beforeAll(async () => {
  user = await signUp(await getDb(), { email: uniqueEmail('manage'), password: 'a long enough password' });
});
const trpc = async () => createCaller({ db: await getDb(), user });
const chat = () => `manage-${Math.random().toString(36).slice(2, 8)}`;
const deploy = async (chatId: string, html: string) =>
  deployFiles(await getDb(), { userId: user.id, chatId, platform: 'cloudflare', authMode: 'platform-managed', files: { 'index.html': html } }, { settings });
/** The procedures start a runner in the background; wait for it as a watcher would. */
async function finished(id: string) {
  for (let i = 0; i < 200; i++) {
    const d = await (await trpc()).deployments.get({ id });
    if (!['pending', 'building'].includes(d.status)) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the deployment did not finish');
}
const servedAt = async (url: string) => (await fetchSite(cloud().url, hostOf(url), '/')).body.toString();

/** A deployment created without a runner (as if its process had not started it yet). */
async function createPending(html: string): Promise<string> {
  const db = await getDb();
  const { proposed, bytes } = decodeInlineFiles({ 'index.html': html });
  await storeInlineFiles(new BlobStore(db), user.id, bytes);
  return (
    await createDeployment(db, { userId: user.id, chatId: chat(), platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed }, { settings })
  ).deploymentId;
}

describe('managing deployments', () => {
  it('rolls back to an earlier ready deployment: its files go live again at the same URL', async () => {
    const chatId = chat();
    const v1 = await deploy(chatId, '<h1>v1</h1>');
    const v2 = await deploy(chatId, '<h1>v2</h1>');
    expect(await servedAt(v2.url!)).toBe('<h1>v2</h1>');
    const before = requestCount(await cloudStats(cloud().url), '/workers/assets/upload');
    const { deploymentId } = await (await trpc()).deployments.rollback({ id: v1.id });
    const back = await finished(deploymentId);
    expect([back.status, back.url]).toEqual(['ready', v1.url]);
    expect(await servedAt(v1.url!)).toBe('<h1>v1</h1>');
    // Cloudflare already holds v1's files: nothing is uploaded again.
    expect(requestCount(await cloudStats(cloud().url), '/workers/assets/upload')).toBe(before);
  });

  it('redeploys the same files as a new deployment', async () => {
    const first = await deploy(chat(), '<h1>again</h1>');
    const { deploymentId } = await (await trpc()).deployments.redeploy({ id: first.id });
    expect(deploymentId).not.toBe(first.id);
    expect(await finished(deploymentId)).toMatchObject({ status: 'ready', url: first.url });
  });

  it('refuses to roll back to a deployment that never went live', async () => {
    const t = await trpc();
    const pending = await createPending('<p>x</p>');
    await expect(t.deployments.rollback({ id: pending })).rejects.toThrow(/Only a deployment that went live/);
  });

  it('cancels a pending deployment: the runner leaves it alone, the log says so', async () => {
    const t = await trpc();
    const deploymentId = await createPending('<p>to cancel</p>');
    await t.deployments.cancel({ id: deploymentId });
    expect(await driveDeployment(await getDb(), deploymentId, { settings })).toBe('skipped');
    expect((await t.deployments.get({ id: deploymentId })).status).toBe('canceled');
    expect((await t.deployments.log({ id: deploymentId })).map((e) => e.status)).toEqual(['pending', 'canceled']);
    await expect(t.deployments.cancel({ id: deploymentId })).rejects.toThrow(/already canceled/);
  });

  it('cancels a deployment while it builds: its runner stops at its next step and writes nothing after the cancellation', async () => {
    const t = await trpc();
    const deploymentId = await createPending(`<p>canceled while building ${Math.random()}</p>`);
    // The platform holds the upload session a while: the deployment is building meanwhile.
    await setFaults(cloud().url, { rules: [{ target: 'cloudflare', route: '/assets-upload-session', kind: 'delay', delayMs: 1_000 }] });
    try {
      const run = driveDeployment(await getDb(), deploymentId, { settings });
      await vi.waitFor(async () => expect((await t.deployments.log({ id: deploymentId })).map((e) => e.step)).toContain('upload'), { timeout: 10_000 });
      await t.deployments.cancel({ id: deploymentId });
      await run;
    } finally {
      await setFaults(cloud().url, { rules: [] });
    }
    expect((await t.deployments.get({ id: deploymentId })).status).toBe('canceled');
    const log = await t.deployments.log({ id: deploymentId });
    expect(log.at(-1)).toMatchObject({ status: 'canceled', step: 'canceled' });
    expect(log.filter((e) => e.step === 'activate' || e.status === 'ready')).toEqual([]);
  });

  it('deletes the site: the Worker goes, the URL stops answering, the history stays', async () => {
    const t = await trpc();
    const site = await deploy(chat(), '<p>delete me</p>');
    const before = requestCount(await cloudStats(cloud().url), 'DELETE /client/v4/accounts/:account/workers/scripts/:script');
    await t.deployments.delete({ id: site.id });
    expect(requestCount(await cloudStats(cloud().url), 'DELETE /client/v4/accounts/:account/workers/scripts/:script')).toBe(before + 1);
    expect((await fetchSite(cloud().url, hostOf(site.url!), '/')).status).toBe(404);
    expect((await t.deployments.get({ id: site.id })).status).toBe('ready');
    await expect(t.deployments.delete({ id: site.id })).rejects.toThrow(/not found/);
  });

  it('lists my deployments newest first, filtered and paginated', async () => {
    const t = await trpc();
    const chatId = chat();
    for (const v of ['a', 'b', 'c']) await deploy(chatId, `<p>${v}</p>`);
    const page1 = await t.deployments.list({ chatId, limit: 2 });
    expect(page1.items).toHaveLength(2);
    const page2 = await t.deployments.list({ chatId, limit: 2, cursor: page1.nextCursor! });
    expect(page2).toMatchObject({ nextCursor: null });
    expect([...page1.items, ...page2.items].map((d) => d.createdAt.getTime())).toEqual(
      [...page1.items, ...page2.items].map((d) => d.createdAt.getTime()).sort((a, b) => b - a),
    );
    expect((await t.deployments.list({ status: 'error', chatId, limit: 10 })).items).toEqual([]);
  });
});
