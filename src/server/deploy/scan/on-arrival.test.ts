// Quick deploys scanned as they upload: through the real routes (negotiate, the blob uploads, create),
// the rows of the blobs say what was scanned before create was called, and create still refuses what
// the scan finds, naming the file.
import { useLocalCloud } from '@/testing/local-cloud';
import { randomBytes } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import { TRPCClientError } from '@trpc/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { blobs } from '@/server/db/schema';
import { hashed, newAppCaller, uploadBlobs, type AppCaller } from '@/testing/app-client';
import { useTestDb } from '@/testing/db';
import { useDeploySettings } from '@/testing/deploy-settings';
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

/** Each file's scan mark as stored (null: not scanned). */
async function marks(files: ReturnType<typeof site>): Promise<Record<string, string | null>> {
  const rows = await (
    await getDb()
  )
    .select({ sha256: blobs.sha256, scannedWith: blobs.scannedWith })
    .from(blobs)
    .where(
      inArray(
        blobs.sha256,
        files.map((f) => f.sha256),
      ),
    );
  const bySha = new Map(rows.map((r) => [r.sha256, r.scannedWith]));
  return Object.fromEntries(files.map((f) => [f.path, bySha.get(f.sha256) ?? null]));
}

describe('the scan on arrival', () => {
  it("scans a quick deploy's pages, scripts and styles as they upload, each under its reading; images are never read", async () => {
    const files = site();
    const { manifestId, chatId } = await negotiateAndUpload(files, 'platform-managed');
    expect(await marks(files)).toEqual({
      'index.html': scanMarkOf('index.html'),
      'app.js': scanMarkOf('app.js'),
      'style.css': scanMarkOf('style.css'),
      'logo.png': null,
    });
    expect(await create(manifestId, chatId)).toEqual({ deploymentId: expect.any(String), siteId: expect.any(String) });
  });

  it('passes nothing it found: create scans the file again and refuses it, naming the file and the rule', async () => {
    const files = site({ 'js/miner.js': `var m = new CoinHive.Anonymous("${fresh()}"); m.start();` });
    const { manifestId, chatId } = await negotiateAndUpload(files, 'platform-managed');
    const found = await marks(files);
    expect(found['js/miner.js']).toBeNull();
    expect(found['index.html']).toBe(scanMarkOf('index.html'));
    const refused = await create(manifestId, chatId);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<never>).message).toMatch(/js\/miner\.js contains a browser crypto-miner \(rule "crypto-miner"\)/);
  });

  it('remembers a pass only for the reading it was made under: bytes clean as a page are still refused as text a script could run', async () => {
    // Page prose may name a mining pool; a text file a <script src> could run may not.
    const bytes = `<!doctype html><p>Our pool: stratum+tcp://pool.example:3333 (${fresh()})</p>`;
    const files = [...site(), hashed('pool.html', bytes), hashed('pool.txt', bytes)];
    const { manifestId, chatId } = await negotiateAndUpload(files, 'platform-managed');
    expect((await marks(files))['pool.html']).toBe(scanMarkOf('pool.html'));
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
    expect(Object.values(await marks(own))).toEqual([null, null, null, null]);

    // A quick deploy negotiated without its chat has not passed the limits: nothing is read for it either.
    const unchecked = site();
    await negotiateAndUpload(unchecked, 'platform-managed', { withChat: false });
    expect(Object.values(await marks(unchecked))).toEqual([null, null, null, null]);

    const unnamed = site();
    await uploadBlobs(alice, unnamed);
    await arrivedScansIdle();
    expect(Object.values(await marks(unnamed))).toEqual([null, null, null, null]);
  });
});
