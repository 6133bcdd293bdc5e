// Quick deploys scanned as they upload: through the real routes (negotiate, the blob uploads, create),
// the pass rows of the uploader's packs say what was scanned before create was called, and create still
// refuses what the scan finds, naming the file.
import { useLocalCloud } from '@/testing/local-cloud';
import { randomBytes } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { TRPCClientError } from '@trpc/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { packScans, packs } from '@/server/db/schema';
import { hashed, newAppCaller, uploadBlobs, type AppCaller } from '@/testing/app-client';
import { useTestDb } from '@/testing/db';
import { useDeploySettings } from '@/testing/deploy-settings';
import { decodeEntries } from '../pack-index';
import { scanMarkOf } from './kinds';
import { arrivedScansIdle } from './on-arrival';

useLocalCloud();
const getDb = useTestDb();
useDeploySettings({ limits: { platformManagedPerHour: 1000, platformManagedPerDay: 1000 } });

let alice: AppCaller;
beforeAll(async () => {
  alice = await newAppCaller(await getDb(), 'alice');
});

const chat = () => `chat-${Math.random().toString(36).slice(2, 10)}`;
/** Content no other test (or earlier run) stored: its blob starts unscanned. */
const fresh = () => randomBytes(8).toString('hex');

/** A site with a page, a script, a stylesheet and an image, each new bytes. */
function site(extra: Record<string, string> = {}) {
  const t = fresh();
  return Object.entries({
    'index.html': `<!doctype html><title>${t}</title><p>Hello ${t}</p><script src="app.js"></script>`,
    'app.js': `console.log(${JSON.stringify(t)});`,
    'style.css': `body { content: "${t}"; }`,
    'logo.png': Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(64)]),
    ...extra,
  }).map(([path, bytes]) => hashed(path, bytes));
}

async function negotiateAndUpload(files: ReturnType<typeof site>, authMode: 'platform-managed' | 'user-token', { withChat = true, settle = true } = {}) {
  const manifest = Object.fromEntries(files.map((f) => [f.path, { sha256: f.sha256, size: f.bytes.length }]));
  const chatId = withChat ? chat() : undefined;
  const { missing, manifestId } = await alice.trpc.files.negotiate.mutate({ platform: 'cloudflare', authMode, chatId, manifest });
  await uploadBlobs(
    alice,
    files.filter((f) => missing.includes(f.sha256)),
  );
  // The scans run after the upload answered: what is still running here is awaited, not guessed.
  if (settle) await arrivedScansIdle();
  return { manifestId, chatId: chatId ?? chat() };
}

const create = (manifestId: string, chatId: string) =>
  alice.trpc.deployments.create.mutate({ chatId, platform: 'cloudflare', authMode: 'platform-managed', manifestId }).catch((e: unknown) => e);

/**
 * The marks each file passed the scan under, as stored: its entry's bit in the pass rows of Alice's
 * pack that holds it ([]: not scanned, or not passed).
 */
async function marks(files: ReturnType<typeof site>): Promise<Record<string, string[]>> {
  const db = await getDb();
  const held = await db.select({ id: packs.id, entries: packs.entries }).from(packs).where(eq(packs.userId, alice.userId));
  const passes =
    held.length === 0
      ? []
      : await db
          .select({ pack: packScans.pack, mark: packScans.mark, passed: sql<string>`${packScans.passed}::text` })
          .from(packScans)
          .where(
            inArray(
              packScans.pack,
              held.map((p) => p.id),
            ),
          );
  const passedUnder = new Map<string, Set<string>>();
  for (const pack of held)
    decodeEntries(pack.entries).forEach((e, i) => {
      const set = passedUnder.get(e.sha256) ?? new Set<string>();
      for (const p of passes) if (p.pack === pack.id && p.passed[i] === '1') set.add(p.mark);
      passedUnder.set(e.sha256, set);
    });
  return Object.fromEntries(files.map((f) => [f.path, [...(passedUnder.get(f.sha256) ?? [])].sort()]));
}

describe('the scan on arrival', () => {
  it("scans a quick deploy's pages, scripts and styles as they upload, each under its reading; images are never read", async () => {
    const files = site();
    const { manifestId, chatId } = await negotiateAndUpload(files, 'platform-managed');
    expect(await marks(files)).toEqual({
      'index.html': [scanMarkOf('index.html')],
      'app.js': [scanMarkOf('app.js')],
      'style.css': [scanMarkOf('style.css')],
      'logo.png': [],
    });
    expect(await create(manifestId, chatId)).toEqual({ deploymentId: expect.any(String), siteId: expect.any(String) });
  });

  it('passes nothing it found: create scans the file again and refuses it, naming the file and the rule', async () => {
    const files = site({ 'js/miner.js': `var m = new CoinHive.Anonymous("${fresh()}"); m.start();` });
    const { manifestId, chatId } = await negotiateAndUpload(files, 'platform-managed');
    const found = await marks(files);
    expect(found['js/miner.js']).toEqual([]);
    expect(found['index.html']).toEqual([scanMarkOf('index.html')]);
    const refused = await create(manifestId, chatId);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<never>).message).toMatch(/js\/miner\.js contains a browser crypto-miner \(rule "crypto-miner"\)/);
  });

  it('remembers a pass only for the reading it was made under: bytes clean as a page are still refused as text a script could run', async () => {
    // Page prose may name a mining pool; a text file a <script src> could run may not.
    const bytes = `<!doctype html><p>Our pool: stratum+tcp://pool.example:3333 (${fresh()})</p>`;
    const files = [...site(), hashed('pool.html', bytes), hashed('pool.txt', bytes)];
    const { manifestId, chatId } = await negotiateAndUpload(files, 'platform-managed');
    // One file, read both ways: it passed as a page only.
    expect(scanMarkOf('pool.txt')).not.toBe(scanMarkOf('pool.html'));
    expect(await marks(files)).toMatchObject({ 'pool.html': [scanMarkOf('pool.html')], 'pool.txt': [scanMarkOf('pool.html')] });
    const refused = await create(manifestId, chatId);
    expect((refused as TRPCClientError<never>).message).toMatch(/pool\.txt contains a browser crypto-miner/);
  });

  it('gives create the same answers while the scans are still running: a clean site is created, a miner refused', async () => {
    const clean = site();
    const first = await negotiateAndUpload(clean, 'platform-managed', { settle: false });
    expect(await create(first.manifestId, first.chatId)).toEqual({ deploymentId: expect.any(String), siteId: expect.any(String) });
    const hostile = site({ 'miner.js': `new CoinHive.Anonymous("${fresh()}").start();` });
    const second = await negotiateAndUpload(hostile, 'platform-managed', { settle: false });
    expect(((await create(second.manifestId, second.chatId)) as Error).message).toMatch(/miner\.js contains a browser crypto-miner/);
  });

  it("reads nothing for a deploy to the user's own account, a quick deploy negotiated without its chat, nor bytes no negotiation named", async () => {
    const own = site();
    await negotiateAndUpload(own, 'user-token');
    expect(Object.values(await marks(own))).toEqual([[], [], [], []]);

    // A quick deploy negotiated without its chat has not passed the limits: nothing is read for it either.
    const unchecked = site();
    await negotiateAndUpload(unchecked, 'platform-managed', { withChat: false });
    expect(Object.values(await marks(unchecked))).toEqual([[], [], [], []]);

    const unnamed = site();
    await uploadBlobs(alice, unnamed);
    await arrivedScansIdle();
    expect(Object.values(await marks(unnamed))).toEqual([[], [], [], []]);
  });
});
