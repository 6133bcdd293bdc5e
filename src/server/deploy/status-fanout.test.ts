// A thousand watchers of ten deployments on one process: the database sees the ten, not the thousand.
import { useLocalCloud } from '@/testing/local-cloud';
import { beforeAll, expect, it } from 'vitest';
import { signUp } from '@/server/auth/accounts';
import { getDb as processDb } from '@/server/db/client';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { createDeployment } from '@/testing/deploy';
import { readSse } from '@/testing/sse';
import { BlobStore } from './blob-store';
import { openStatusStream } from '../http/status-sse';
import { insertEvent } from './event-store';
import { listenForEvents, StatusHub } from './status-hub';
import { decodeInlineFiles, storeInlineFiles } from './files';
import { deploySettings } from './settings';
import { driveDeployment } from './runner';

useLocalCloud();
const getDb = useTestDb();
const settings = deploySettings({ limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6, platformQuota: {} } });

let userId: string;
beforeAll(async () => {
  userId = (await signUp(await getDb(), { email: uniqueEmail('fanout'), password: 'a long enough password' })).id;
});

it('1,000 SSE watchers of 10 deployments: status reads stay proportional to deployments', async () => {
  const db = await getDb();
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const { proposed, bytes } = decodeInlineFiles({ 'index.html': `<p>fan-out ${i} ${Math.random()}</p>` });
    await storeInlineFiles(new BlobStore(db), userId, bytes);
    ids.push(
      (await createDeployment(db, { userId, chatId: `fanout-${i}`, platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed }, { settings }))
        .deploymentId,
    );
  }
  const POLL_MS = 100;
  const hub = new StatusHub(processDb, { pollMs: POLL_MS });
  const started = Date.now();
  const watchers = await Promise.all(
    Array.from({ length: 1000 }, async (_, i) => {
      const stream = await openStatusStream(hub, ids[i % 10]!, userId, 0, { heartbeatMs: 60_000 });
      return readSse(new Response(stream), (e) => JSON.parse(e.data!).status === 'ready', 60_000);
    }).concat(ids.map(async (id) => void (await driveDeployment(db, id, { settings }))) as never[]),
  );
  const elapsedMs = Date.now() - started;
  const streams = watchers.slice(0, 1000);
  // Every watcher saw its deployment through to ready, with the same events as the others.
  for (const events of streams) expect(JSON.parse(events.at(-1)!.data!).status).toBe('ready');
  expect(new Set(streams.filter((_, i) => i % 10 === 0).map((e) => e.map((x) => x.id).join()))).toHaveProperty('size', 1);
  // One read to open each deployment, then one per deployment per poll (and per event its runner
  // recorded in this process, which wakes the poller): never one per watcher.
  const budget = 10 * (2 + Math.ceil(elapsedMs / POLL_MS)) + 10 * 10;
  expect(hub.reads).toBeLessThanOrEqual(budget);
  expect(hub.reads).toBeLessThan(1000);
  await hub.close();
}, 90_000);

it('an event recorded by a runner in this process reaches its watchers at once, not at the next poll', async () => {
  const db = await getDb();
  const { proposed, bytes } = decodeInlineFiles({ 'index.html': `<p>wake ${Math.random()}</p>` });
  await storeInlineFiles(new BlobStore(db), userId, bytes);
  const { deploymentId } = await createDeployment(
    db,
    { userId, chatId: 'wake', platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed },
    { settings },
  );
  // A poll interval far longer than the whole deployment: only the wake-up can deliver in time.
  const hub = new StatusHub(processDb, { pollMs: 60_000 });
  const stream = await openStatusStream(hub, deploymentId, userId, 0, { heartbeatMs: 60_000 });
  const started = Date.now();
  const [events] = await Promise.all([
    readSse(new Response(stream), (e) => JSON.parse(e.data!).status === 'ready', 30_000),
    driveDeployment(db, deploymentId, { settings }),
  ]);
  expect(JSON.parse(events.at(-1)!.data!).status).toBe('ready');
  expect(events.map((e) => JSON.parse(e.data!).status)).toContain('building');
  expect(Date.now() - started).toBeLessThan(20_000);
  await hub.close();
});

it('an event recorded by another server process reaches the watchers through NOTIFY, not the poll', async () => {
  const db = await getDb();
  const { proposed, bytes } = decodeInlineFiles({ 'index.html': `<p>elsewhere ${Math.random()}</p>` });
  await storeInlineFiles(new BlobStore(db), userId, bytes);
  const { deploymentId } = await createDeployment(
    db,
    {
      userId,
      chatId: 'elsewhere',
      platform: 'cloudflare',
      authMode: 'platform-managed',
      manifest: proposed,
    },
    { settings },
  );
  const hub = new StatusHub(processDb, { pollMs: 60_000, listen: listenForEvents });
  const stream = await openStatusStream(hub, deploymentId, userId, 0, { heartbeatMs: 60_000 });
  const started = Date.now();
  // What another process's runner writes: the row and its NOTIFY; nothing reaches this process's emitter.
  await insertEvent(db, deploymentId, { status: 'building', step: 'upload', progress: 40, message: 'written elsewhere' });
  await insertEvent(db, deploymentId, { status: 'canceled', step: 'canceled', message: 'done elsewhere' });
  const events = await readSse(new Response(stream), (e) => JSON.parse(e.data!).status === 'canceled', 20_000);
  expect(events.map((e) => JSON.parse(e.data!).message)).toEqual([expect.stringMatching(/^Queued/), 'written elsewhere', 'done elsewhere']);
  expect(Date.now() - started).toBeLessThan(10_000);
  await hub.close();
});

it('a read that fails when a deployment is first watched is not kept: the next watcher opens it again', async () => {
  const db = await getDb();
  const { proposed, bytes } = decodeInlineFiles({ 'index.html': `<p>blip ${Math.random()}</p>` });
  await storeInlineFiles(new BlobStore(db), userId, bytes);
  const { deploymentId } = await createDeployment(
    db,
    { userId, chatId: 'blip', platform: 'cloudflare', authMode: 'platform-managed', manifest: proposed },
    { settings },
  );
  let failNext = true;
  const hub = new StatusHub(
    async () => {
      if (failNext) {
        failNext = false;
        throw new Error('database blip');
      }
      return processDb();
    },
    { pollMs: 60_000 },
  );
  await expect(hub.subscribe(deploymentId, userId, 0, () => {})).rejects.toThrow('database blip');
  const seen: string[] = [];
  const sub = await hub.subscribe(deploymentId, userId, 0, (e) => seen.push(e.status));
  expect(sub).not.toBeNull();
  expect(seen).toEqual(['pending']);
  await hub.close();
});
