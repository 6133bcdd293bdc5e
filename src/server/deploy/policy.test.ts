// The rate limit's windows, each counted in one statement: a deployment past a window's limit is
// refused, and told when the oldest deployment in that window leaves it.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { signUp } from '@/server/auth/accounts';
import { deployments } from '@/server/db/schema';
import { useTestDb } from '@/testing/db';
import { createDeployment } from '@/testing/deploy';
import { BlobStore } from './blob-store';
import { decodeInlineFiles, storeInlineFiles } from './files';
import { DEFAULT_LIMITS, RateLimitError, type PolicyLimits } from './policy';
import { checkPolicyNow, type CreateDeploymentInput } from './service';
import { deploySettings, type DeploySettings } from './settings';
import type { Db } from '../db/client';

const getDb = useTestDb();
const MINUTE = 60_000;

/** A deployment of one page, created (its runner never started: the rate limit counts it all the same). */
async function createOne(db: Db, site: Omit<CreateDeploymentInput, 'manifest'>, settings: DeploySettings) {
  const { proposed, bytes } = decodeInlineFiles({ 'index.html': `<p>${site.chatId}</p>` });
  await storeInlineFiles(new BlobStore(db), site.userId, bytes);
  return createDeployment(db, { ...site, manifest: proposed }, { settings });
}

describe('the rate limit', () => {
  it('counts each window on its own and answers when its oldest deployment leaves it', async () => {
    const db = await getDb();
    const u = await signUp(db, { email: `p-${randomBytes(4).toString('hex')}@huskit.test`, password: 'a long enough test password' });
    const limits: PolicyLimits = { ...DEFAULT_LIMITS, platformManagedPerHour: 2, platformManagedPerDay: 3, platformQuota: {} };
    const settings = deploySettings({ limits });
    const t0 = Date.now();
    const site = (chatId: string) => ({ userId: u.id, chatId, platform: 'cloudflare' as const, authMode: 'platform-managed' as const });
    // Created now (no runner), then dated back (the row's creation time is the database's clock).
    const deployAt = async (chatId: string, at: number) => {
      const { deploymentId } = await createOne(db, site(chatId), settings);
      await db
        .update(deployments)
        .set({ createdAt: new Date(at) })
        .where(eq(deployments.id, deploymentId));
    };
    const refusal = (at: number) =>
      checkPolicyNow(db, site('next'), limits, new Date(at)).then(
        () => null,
        (err: unknown) => err,
      );

    // Three hours ago, then 40 and 10 minutes ago: the hour holds two (its limit), the day three.
    await deployAt('a', t0 - 180 * MINUTE);
    await deployAt('b', t0 - 40 * MINUTE);
    await deployAt('c', t0 - 10 * MINUTE);
    const hourFull = await refusal(t0);
    expect(hourFull).toBeInstanceOf(RateLimitError);
    // The day is full too; the first window the deployment fails is the hour's: in 20 minutes the one of 40 minutes ago leaves it.
    expect((hourFull as RateLimitError).retryAfterSeconds).toBe(20 * 60);
    expect((hourFull as RateLimitError).message).toBe('Too many deployments. Try again in 20 minutes.');

    // Past that hour, the day's limit is what refuses it: until the deployment of three hours ago is a day old.
    const dayFull = await refusal(t0 + 21 * MINUTE);
    expect(dayFull).toBeInstanceOf(RateLimitError);
    expect((dayFull as RateLimitError).retryAfterSeconds).toBe((24 * 60 - 180 - 21) * 60);
    expect(await refusal(t0 - 180 * MINUTE + 24 * 60 * MINUTE + 1000)).toBeNull();
  });

  it('a user-token deployment counts only toward the user-token hour', async () => {
    const db = await getDb();
    const u = await signUp(db, { email: `p-${randomBytes(4).toString('hex')}@huskit.test`, password: 'a long enough test password' });
    const limits: PolicyLimits = { ...DEFAULT_LIMITS, platformManagedPerHour: 1, userTokenPerHour: 1, platformQuota: {} };
    const quick = { userId: u.id, chatId: 'q', platform: 'cloudflare' as const, authMode: 'platform-managed' as const };
    await createOne(db, quick, deploySettings({ limits }));
    await expect(checkPolicyNow(db, { ...quick, chatId: 'other' }, limits)).rejects.toBeInstanceOf(RateLimitError);
    await expect(checkPolicyNow(db, { ...quick, authMode: 'user-token' }, limits)).resolves.toBeUndefined();
  });
});
