// The sweep against the local cloud and a real database: deployments whose runner died are finished
// by whoever sweeps, exactly once however many sweep at the same moment. Its own database: a sweep
// takes every lapsed deployment, and other test files leave some on a shared one.
import '@/testing/isolated-db';
import { useLocalCloud } from '@/testing/local-cloud';
import { eq, inArray, sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { GET as cronSweep } from '@/app/api/cron/sweep/route';
import { signUp } from '@/server/auth/accounts';
import { deployments } from '@/server/db/schema';
import { getEnv } from '@/server/env';
import { cloudStats, fetchSite, hostOf, requestCount } from '@/testing/cloud';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { createDeployment } from '@/testing/deploy';
import { useDeploySettings } from '@/testing/deploy-settings';
import { APP_ORIGIN } from '@/testing/http';
import { BlobStore } from './blob-store';
import { decodeInlineFiles, storeInlineFiles } from './files';
import { driveDeployment } from './runner';
import { sweepDeployments } from './sweep';

const cloud = useLocalCloud();
const getDb = useTestDb();
// No limits, short runner retries: for the cron endpoint's sweep and what the tests drive.
const { settings } = useDeploySettings({
  limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6, platformQuota: {} },
  runner: { retryDelayMs: 50 },
});

let userId: string;
beforeAll(async () => {
  userId = (await signUp(await getDb(), { email: uniqueEmail('sweep'), password: 'a long enough password' })).id;
});

/** A deployment whose runner took it and then died: building, its lease run out on the database clock (or still live). */
async function orphaned(html: string, lease: 'lapsed' | 'live' = 'lapsed'): Promise<string> {
  const db = await getDb();
  const { proposed, bytes } = decodeInlineFiles({ 'index.html': html });
  await storeInlineFiles(new BlobStore(db), userId, bytes);
  const { deploymentId } = await createDeployment(
    db,
    {
      userId,
      chatId: `sweep-${Math.random().toString(36).slice(2, 8)}`,
      platform: 'cloudflare',
      authMode: 'platform-managed',
      manifest: proposed,
    },
    { settings },
  );
  await db
    .update(deployments)
    .set({
      status: 'building',
      leaseOwner: 'a-server-that-died',
      attempts: 1,
      leaseUntil: lease === 'lapsed' ? sql`now() - interval '1 second'` : sql`now() + interval '1 minute'`,
    })
    .where(eq(deployments.id, deploymentId));
  return deploymentId;
}

const sessions = async () => requestCount(await cloudStats(cloud().url), 'assets-upload-session');

it('the cron sweep (with CRON_SECRET) claims a deployment whose lease lapsed and finishes it; a live lease is left alone', async () => {
  const db = await getDb();
  const lapsed = await orphaned('<h1>finished by the sweep</h1>');
  const held = await orphaned('<h1>still held</h1>', 'live');
  const call = (authorization?: string) => cronSweep(new Request(`${APP_ORIGIN}/api/cron/sweep`, { headers: authorization ? { authorization } : {} }));

  expect((await call()).status).toBe(401);
  expect((await call('Bearer wrong')).status).toBe(401);
  const [untouched] = await db.select().from(deployments).where(eq(deployments.id, lapsed));
  expect(untouched).toMatchObject({ status: 'building', leaseOwner: 'a-server-that-died' });

  const res = await call(`Bearer ${getEnv().cronSecret}`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ found: 1, worked: 1 });
  const [done] = await db.select().from(deployments).where(eq(deployments.id, lapsed));
  expect(done).toMatchObject({ status: 'ready', attempts: 2, leaseOwner: null });
  expect((await fetchSite(cloud().url, hostOf(done!.url!), '/')).body.toString()).toBe('<h1>finished by the sweep</h1>');
  const [stillHeld] = await db.select().from(deployments).where(eq(deployments.id, held));
  expect(stillHeld).toMatchObject({ status: 'building', leaseOwner: 'a-server-that-died', attempts: 1 });
  // Settle it, so the next test's sweeps only find their own rows.
  await db.update(deployments).set({ status: 'canceled', leaseOwner: null, leaseUntil: null }).where(eq(deployments.id, held));
});

it('two sweeps at the same moment never work the same deployment: each is worked once, uploaded once, and ready', async () => {
  const db = await getDb();
  const ids = await Promise.all(Array.from({ length: 4 }, (_, i) => orphaned(`<p>swept ${i}</p>`)));
  const sessionsBefore = await sessions();
  const worked: Record<string, number> = {};
  const drive = async (d: typeof db, id: string) => {
    const r = await driveDeployment(d, id, { settings });
    if (r === 'worked') worked[id] = (worked[id] ?? 0) + 1;
    return r;
  };
  const [a, b] = await Promise.all([sweepDeployments(db, { drive }), sweepDeployments(db, { drive })]);
  // Both found the lapsed rows (or some of them); between them every row was worked exactly once.
  expect(a.found + b.found).toBeGreaterThanOrEqual(ids.length);
  expect(a.worked + b.worked).toBe(ids.length);
  expect(worked).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
  const rows = await db.select().from(deployments).where(inArray(deployments.id, ids));
  expect(rows.map((r) => [r.status, r.attempts])).toEqual(ids.map(() => ['ready', 2]));
  // One upload session per deployment on the platform: nobody deployed a row twice.
  expect((await sessions()) - sessionsBefore).toBe(ids.length);
  // Nothing is left for a third sweep.
  expect(await sweepDeployments(db, { drive })).toEqual({ found: 0, worked: 0 });
});
