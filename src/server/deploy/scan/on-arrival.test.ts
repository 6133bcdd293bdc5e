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
import { arrivedScansIdle, scanMarkOf } from './on-arrival';

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

async function negotiateAndUpload(files: ReturnType<typeof site>, authMode: 'platform-managed' | 'user-token', chatId = chat()) {
  const manifest = Object.fromEntries(files.map((f) => [f.path, { sha256: f.sha256, size: f.bytes.length }]));
  const { missing, manifestId } = await alice.trpc.files.negotiate.mutate({ platform: 'cloudflare', authMode, chatId, manifest });
  await uploadBlobs(
    alice,
    files.filter((f) => missing.includes(f.sha256)),
  );
  // The scans run after the upload answered: what is still running here is awaited, not guessed.
  await arrivedScansIdle();
  return { manifestId, chatId };
}

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
    const { deploymentId } = await alice.trpc.deployments.create.mutate({ chatId, platform: 'cloudflare', authMode: 'platform-managed', manifestId });
    expect(deploymentId).toMatch(/./);
  });

  it('passes nothing it found: create scans the file again and refuses it, naming the file and the rule', async () => {
    const files = site({ 'js/miner.js': `var m = new CoinHive.Anonymous("${fresh()}"); m.start();` });
    const { manifestId, chatId } = await negotiateAndUpload(files, 'platform-managed');
    const found = await marks(files);
    expect(found['js/miner.js']).toBeNull();
    expect(found['index.html']).toBe(scanMarkOf('index.html'));
    const refused = await alice.trpc.deployments.create.mutate({ chatId, platform: 'cloudflare', authMode: 'platform-managed', manifestId }).catch((e) => e);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<never>).message).toMatch(/js\/miner\.js contains a browser crypto-miner \(rule "crypto-miner"\)/);
  });

  it("reads nothing for a deploy to the user's own account, nor bytes that no negotiated quick deploy named", async () => {
    const own = site();
    await negotiateAndUpload(own, 'user-token');
    expect(Object.values(await marks(own))).toEqual([null, null, null, null]);

    const unnamed = site();
    await uploadBlobs(alice, unnamed);
    await arrivedScansIdle();
    expect(Object.values(await marks(unnamed))).toEqual([null, null, null, null]);
  });
});
