// `npm run bench` (tsx bench/run.ts [--quick]): the product end to end on this machine, against the
// local cloud and a real PostgreSQL, each figure next to a floor measured in the same run.
// The client (this process) talks HTTP over loopback to bench/server.ts (a child process with the
// real route handlers); the local cloud runs in this process, so the server's RSS is the server's.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultCloudConfig } from '@/emulator/config';
import { startCloud, type RunningCloud } from '@/emulator/server';
import { hashFloorMs, jszipMs, roundTripMs, sendOnceMs, startSink, zipFloor } from './floors';
import { rng, site500, site5k, siteSmall, totalBytes, type Site } from './workloads';
import { readSse } from '../src/testing/sse';
import { deployManifest, type DeployCalls, type DeployedManifest, type DeployStep, type NegotiateAnswer } from '../src/lib/deploy-client';
import { uploadMissing } from '../src/lib/upload';
import type { ProfileSummary } from './profile';

const QUICK = process.argv.includes('--quick');
/** Where the server keeps file bytes: `--store=s3` runs the bench on s3rver (in this process), else a temp folder. */
const STORE = process.argv.includes('--store=s3') ? 's3' : 'fs';
const now = () => performance.now();
const MB = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const KB = (n: number) => `${(n / 1e3).toFixed(1)} KB`;
const ms = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}×` : 'n/a');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};

// ---------------------------------------------------------------- setup: database, cloud, server

let dbName: string | undefined;
let databaseNote: string;
function createDatabase(): string | undefined {
  if (process.env.BENCH_PGLITE) return undefined;
  const name = `huskit_bench_${randomBytes(4).toString('hex')}`;
  try {
    execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
    dbName = name;
    return `postgres://postgres@127.0.0.1:5432/${name}`;
  } catch (err) {
    console.warn(`! No PostgreSQL (${(err as Error).message.split('\n')[0]}): falling back to PGlite in memory.`);
    return undefined;
  }
}
function dropDatabase() {
  if (!dbName) return;
  try {
    execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-qc', `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`], { stdio: 'pipe' });
  } catch {
    /* best effort */
  }
}

/** The blob store the server is given, and how to put it away. */
async function startBlobStore(): Promise<{ env: Record<string, string>; note: string; close: () => Promise<void> }> {
  if (STORE === 'fs') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huskit-bench-blobs-'));
    return { env: { BLOB_STORE: 'fs', BLOB_DIR: dir }, note: `fs (${dir})`, close: () => rm(dir, { recursive: true, force: true }) };
  }
  const { startS3Server, createBucket } = await import('../src/testing/s3-server');
  const s3 = await startS3Server();
  await createBucket(s3.connection, 'huskit-bench');
  const { endpoint, region, accessKeyId, secretAccessKey } = s3.connection;
  return {
    env: {
      BLOB_STORE: 's3',
      S3_ENDPOINT: endpoint,
      S3_REGION: region,
      S3_BUCKET: 'huskit-bench',
      S3_ACCESS_KEY_ID: accessKeyId,
      S3_SECRET_ACCESS_KEY: secretAccessKey,
    },
    note: 's3 (s3rver in the bench process, behind its checking proxy)',
    close: s3.close,
  };
}

async function startServer(
  cloudPort: number,
  databaseUrl: string | undefined,
  blobEnv: Record<string, string>,
): Promise<{ base: string; child: ChildProcess }> {
  // The fan-out phase watches hundreds of deployments of the bench user at once: lift the per-user stream cap.
  const env: NodeJS.ProcessEnv = { ...process.env, ...blobEnv, CLOUD_PORT: String(cloudPort), NODE_ENV: 'development', MAX_SSE_STREAMS_PER_USER: '100000' };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else {
    delete env.DATABASE_URL;
    env.PGLITE_DATA_DIR = 'memory://bench';
  }
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/server.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited (${code}): ${out}`)));
  });
  child.stdout!.on('data', (d: Buffer) => process.stdout.write(`[server] ${d}`));
  return { base: `http://127.0.0.1:${port}`, child };
}

// ---------------------------------------------------------------- the client, over loopback HTTP

let base = '';
let auth = '';

async function trpc<T>(procedure: string, input: unknown): Promise<{ data: T; sent: number }> {
  const body = JSON.stringify({ json: input });
  const res = await fetch(`${base}/api/trpc/${procedure}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body });
  const out = (await res.json()) as { result?: { data: { json: T } }; error?: { json: { message: string; data?: { code?: string } } } };
  // `data` as a tRPC client error carries it: the deploy client reads its code (a refused delta).
  if (!out.result) throw Object.assign(new Error(`${procedure}: ${out.error?.json.message ?? res.status}`), { data: out.error?.json.data });
  return { data: out.result.data.json, sent: Buffer.byteLength(body) };
}

interface StatusEvent {
  id: number;
  status: string;
  step: string;
  receivedAt: number; // Date.now() in this process
}

/** Follows a deployment's SSE until it is ready/error/canceled; each event with its arrival time. */
async function follow(deploymentId: string, onOpen?: () => void): Promise<StatusEvent[]> {
  const res = await fetch(`${base}/api/deployments/${deploymentId}/events`, { headers: { authorization: auth } });
  if (!res.ok) throw new Error(`events: ${res.status} ${await res.text()}`);
  onOpen?.();
  // Each event's arrival time is taken as it is read.
  const arrivals: number[] = [];
  const raw = await readSse(
    res,
    (e) => {
      arrivals.push(Date.now());
      return ['ready', 'error', 'canceled'].includes((JSON.parse(e.data!) as { status: string }).status);
    },
    30 * 60_000,
  );
  return raw.map((e, i) => {
    const d = JSON.parse(e.data!) as { status: string; step: string };
    return { id: Number(e.id), status: d.status, step: d.step, receivedAt: arrivals[i]! };
  });
}

interface DeployResult {
  deploymentId: string;
  status: string;
  phases: { hash: number; negotiate: number; upload: number; create: number; follow: number; total: number; createToReady: number };
  uploaded: number;
  /** Negotiated as a delta against the last deployment of the chat (a redeploy). */
  delta: boolean;
  clientBytes: number;
  manifestJsonBytes: number;
}

/** What this client deployed last, per chat: a redeploy sends only its changes. */
const lastDeployed = new Map<string, DeployedManifest>();

/** What the product's client does (src/lib/deploy-client.ts): hash, negotiate once, upload what is missing, create by id, follow to the end. */
async function deploy(site: Site, platform: 'cloudflare' | 'amplify', chatId: string): Promise<DeployResult> {
  const t0 = now();
  const manifest: Record<string, { sha256: string; size: number }> = {};
  const bytesBySha = new Map<string, Buffer>();
  for (const [p, bytes] of site) {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    manifest[p] = { sha256, size: bytes.length };
    bytesBySha.set(sha256, bytes);
  }
  const t1 = now();
  const marks: Partial<Record<DeployStep, number>> = {};
  let sent = 0;
  let uploadBytes = 0;
  // The browser's own upload code: small files many to a request, large ones alone.
  const hashed = [...bytesBySha].map(([sha256, bytes]) => ({ path: sha256, sha256, bytes }));
  const calls: DeployCalls = {
    negotiate: async (request) => {
      const answer = await trpc<NegotiateAnswer>('files.negotiate', request).finally(() => (sent += Buffer.byteLength(JSON.stringify({ json: request }))));
      return answer.data;
    },
    upload: (missing) => uploadMissing(hashed, missing, (p) => (uploadBytes = p.bytes), { baseUrl: base, headers: { authorization: auth } }),
    create: async (request) => {
      const created = await trpc<{ deploymentId: string }>('deployments.create', request);
      sent += created.sent;
      return created.data;
    },
  };
  const result = await deployManifest(manifest, { chatId, siteName: chatId, platform, authMode: 'platform-managed' }, calls, {
    last: lastDeployed,
    onStep: (step) => (marks[step] = now()),
  });
  const [t2, t3, t4] = [marks.negotiated!, marks.uploaded!, marks.created!];
  const events = await follow(result.deploymentId);
  const t5 = now();
  return {
    deploymentId: result.deploymentId,
    status: events.at(-1)?.status ?? 'unknown',
    phases: { hash: t1 - t0, negotiate: t2 - t1, upload: t3 - t2, create: t4 - t3, follow: t5 - t4, total: t5 - t0, createToReady: t5 - t3 },
    uploaded: result.missing.length,
    delta: result.delta,
    clientBytes: sent + uploadBytes,
    manifestJsonBytes: Buffer.byteLength(JSON.stringify(manifest)),
  };
}

const benchGet = async <T>(p: string): Promise<T> => (await (await fetch(`${base}/_bench/${p}`)).json()) as T;
interface ServerStats {
  peakRss: number;
  rss: number;
  bytesIn: Record<string, number>;
  requests: Record<string, number>;
  statusReads: number;
  driver: string;
}

/** Time per server step, from the deployment's events (database timestamps). */
async function serverSteps(deploymentId: string): Promise<Record<string, number>> {
  const events = await benchGet<{ step: string; at: number }[]>(`events?id=${deploymentId}`);
  const steps: Record<string, number> = {};
  for (let i = 0; i + 1 < events.length; i++) steps[events[i]!.step] = (steps[events[i]!.step] ?? 0) + events[i + 1]!.at - events[i]!.at;
  return steps;
}

function cloudBytes(cloud: RunningCloud): { total: number; byRoute: Record<string, number> } {
  const byRoute = { ...cloud.stats.bytesReceived };
  return { total: Object.values(byRoute).reduce((a, b) => a + b, 0), byRoute };
}

// ---------------------------------------------------------------- the run

interface Row {
  measure: string;
  figure: string;
  floor: string;
  ratio: string;
  note?: string;
}
const rows: Row[] = [];
const results: Record<string, unknown> = {};
const row = (r: Row) => {
  rows.push(r);
  console.log(`  ${r.measure}: ${r.figure}  (floor ${r.floor}, ${r.ratio})${r.note ? ` — ${r.note}` : ''}`);
};

async function main() {
  const started = now();
  const databaseUrl = createDatabase();
  databaseNote = databaseUrl
    ? `PostgreSQL ${dbName} (Neon driver through the in-process relay)`
    : 'PGlite in memory (no PostgreSQL: figures are not production-like)';

  // Port 0: the system picks a free one; the server is given the port the cloud got.
  const config = defaultCloudConfig({ port: 0 });
  config.amplify.jobStepMs = 200;
  // The bench deploys ~90 sites in a few minutes: lift the emulator's account limits (not the product's).
  config.cloudflare.workerLimit = 10_000;
  config.cloudflare.rateLimitPer5Min = 1e9;
  config.amplify.branchLimit = 10_000;
  const cloud = await startCloud(config);
  const blobStore = await startBlobStore();
  const server = await startServer(cloud.port, databaseUrl, blobStore.env);
  base = server.base;
  const sink = await startSink();
  try {
    auth = `Bearer ${(await benchGet<{ key: string }>('user')).key}`;
    const stats0 = await benchGet<ServerStats>('stats');
    results.environment = {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memGB: Math.round(os.totalmem() / 2 ** 30),
      database: databaseNote,
      driver: stats0.driver,
      blobStore: blobStore.note,
      quick: QUICK,
    };
    console.log(
      `Huskit Sites bench${QUICK ? ' (--quick)' : ''}: ${os.cpus().length} CPUs, node ${process.version}, database: ${databaseNote}, blob store: ${blobStore.note}`,
    );
    console.log(`Server idle RSS ${MB(stats0.rss)}. Amplify polled every 100 ms (product default 2.5 s); local cloud jobStepMs=200.`);

    // Warm-up: one small deploy so that module loading and the first connections are not measured.
    await deploy(siteSmall(1), 'cloudflare', 'warmup');

    const bigName = QUICK ? 'site-500' : 'site-5k';
    const big = QUICK ? site500() : site5k();
    const bigBytes = totalBytes(big);
    const bigBuf = Buffer.concat([...big.values()]);
    console.log(`\n${bigName}: ${big.size} files, ${MB(bigBytes)}`);

    // ---- floors for the big site
    const hashFloor = hashFloorMs(big);
    await sendOnceMs(sink.url, bigBuf); // warm the connection
    const sendFloor = Math.min(await sendOnceMs(sink.url, bigBuf), await sendOnceMs(sink.url, bigBuf));
    const cfFloor = hashFloor + sendFloor;

    // ---- 1. full deploy to Cloudflare
    await benchGet('reset');
    cloud.stats.reset();
    const dbBefore = (await benchGet<{ bytes: number }>('db-size')).bytes;
    await benchGet('profile-start');
    const cf = await deploy(big, 'cloudflare', `${bigName}-cf`);
    profiles[`${bigName} → Cloudflare`] = await benchGet<ProfileSummary>('profile-stop');
    const cfServer = await benchGet<ServerStats>('stats');
    const dbGrowth = (await benchGet<{ bytes: number }>('db-size')).bytes - dbBefore;
    const cfCloud = cloudBytes(cloud);
    const cfSteps = await serverSteps(cf.deploymentId);
    const cfUpload = cfSteps.upload ?? 0;
    const cfActivate = (cfSteps.activate ?? 0) + (cfSteps['workers-dev'] ?? 0);
    results.cloudflareFull = {
      site: bigName,
      files: big.size,
      bytes: bigBytes,
      ...cf,
      serverSteps: cfSteps,
      serverPeakRss: cfServer.peakRss,
      clientToServerBytes: cfServer.bytesIn,
      serverToPlatformBytes: cfCloud,
      postgresGrowthBytes: dbGrowth,
      floor: { hashMs: hashFloor, sendMs: sendFloor },
    };
    console.log(`1. Full deploy of ${bigName} to Cloudflare (${cf.status})`);
    row({
      measure: `1. ${bigName} → Cloudflare, first byte → ready`,
      figure: ms(cf.phases.total),
      floor: `${ms(cfFloor)} (SHA-256 ${ms(hashFloor)} + loopback send ${ms(sendFloor)})`,
      ratio: ratio(cf.phases.total, cfFloor),
    });
    row({ measure: '   hash (client)', figure: ms(cf.phases.hash), floor: ms(hashFloor), ratio: ratio(cf.phases.hash, hashFloor) });
    row({ measure: '   negotiate', figure: ms(cf.phases.negotiate), floor: '—', ratio: '—', note: `manifest JSON ${KB(cf.manifestJsonBytes)}` });
    row({
      measure: '   client→server upload',
      figure: `${ms(cf.phases.upload)}, ${MB(sumValues(cfServer.bytesIn))} bodies`,
      floor: `${ms(sendFloor)}, ${MB(bigBytes)}`,
      ratio: ratio(cf.phases.upload, sendFloor),
      note: `${cf.uploaded} files in ${cfServer.requests['blobs upload'] ?? 0} requests (many small files per multipart POST), 3 at a time`,
    });
    row({ measure: '   create (validate, check, scan, insert)', figure: ms(cf.phases.create), floor: '—', ratio: '—' });
    row({
      measure: '   server→platform upload',
      figure: `${ms(cfUpload)}, ${MB(cfCloud.total)}`,
      floor: `${ms(sendFloor)}, ${MB(bigBytes)}`,
      ratio: ratio(cfUpload, sendFloor),
      note: 'base64 JSON buckets, 3 at a time',
    });
    row({ measure: '   activation (version + workers.dev)', figure: ms(cfActivate), floor: '—', ratio: '—' });
    row({ measure: '   server peak RSS', figure: MB(cfServer.peakRss), floor: `${MB(stats0.rss)} idle`, ratio: ratio(cfServer.peakRss, stats0.rss) });
    row({
      measure: '   PostgreSQL growth (all tables, indexes, TOAST)',
      figure: `${MB(dbGrowth)} (${MB(dbBefore)} → ${MB(dbBefore + dbGrowth)})`,
      floor: `${MB(bigBytes)} deployed`,
      ratio: `${((100 * dbGrowth) / bigBytes).toFixed(2)} %`,
      note: 'goal < 1 % of the bytes deployed',
    });

    // ---- 3. redeploy with one 4 KB file changed
    const changedPath = [...big.keys()].find((p) => p.endsWith('.html') && big.get(p)!.length > 2048 && big.get(p)!.length < 8192)!;
    const changed = Buffer.from(big.get(changedPath)!);
    const r = rng(7);
    const changedFile = Buffer.alloc(4096, 0x20);
    for (let i = 0; i < 4096; i++) changedFile[i] = 97 + Math.floor(r() * 26);
    void changed;
    big.set(changedPath, changedFile);
    await benchGet('reset');
    cloud.stats.reset();
    await benchGet('profile-start');
    const re = await deploy(big, 'cloudflare', `${bigName}-cf`);
    profiles[`${bigName} redeploy, one file changed`] = await benchGet<ProfileSummary>('profile-stop');
    const reServer = await benchGet<ServerStats>('stats');
    const reCloud = cloudBytes(cloud);
    const reSteps = await serverSteps(re.deploymentId);
    const reClientBytes = sumValues(reServer.bytesIn);
    // The client sends the changed file and a delta of one path, not the manifest.
    const reFloorSend = await sendOnceMs(sink.url, Buffer.alloc(4096));
    const reFloor = hashFloor + reFloorSend;
    const reGoalBytes = 20_000;
    results.redeploy = {
      ...re,
      serverSteps: reSteps,
      clientToServerBytes: reServer.bytesIn,
      serverToPlatformBytes: reCloud,
      changedPath,
      goalBytes: reGoalBytes,
    };
    console.log(`3. Redeploy with one 4 KB file changed (${re.status})`);
    row({
      measure: `3. redeploy, 1 × 4 KB changed: wall time`,
      figure: ms(re.phases.total),
      floor: `${ms(reFloor)} (re-hash + send 4 KB)`,
      ratio: ratio(re.phases.total, reFloor),
      note: `${((100 * re.phases.total) / cf.phases.total).toFixed(1)}% of the full deploy (goal ≤ 10%)`,
    });
    row({
      measure: '   bytes client→server',
      figure: KB(reClientBytes),
      floor: `${KB(4096)} (the changed file)`,
      ratio: ratio(reClientBytes, 4096),
      note: `${re.delta ? 'delta' : 'whole manifest (the delta was refused)'}: negotiate ${KB(reServer.bytesIn['trpc files.negotiate'] ?? 0)} + blobs ${KB(reServer.bytesIn['blobs upload'] ?? 0)} + create ${KB(reServer.bytesIn['trpc deployments.create'] ?? 0)}; goal ≤ ${KB(reGoalBytes)}`,
    });
    row({
      measure: '   bytes server→platform',
      figure: KB(reCloud.total),
      floor: `${KB(4096 + re.manifestJsonBytes)}`,
      ratio: ratio(reCloud.total, 4096 + re.manifestJsonBytes),
      note: Object.entries(reCloud.byRoute)
        .map(([k, v]) => `${k.replace(/^cloudflare /, '')} ${KB(v)}`)
        .join('; '),
    });

    // ---- 2. full deploy to Amplify (the original tree)
    big.set(changedPath, changed);
    const zf = zipFloor(big);
    let zipTool = zf.tool;
    let zipMs = zf.ms;
    let zipBytes = zf.bytes;
    if (zf.tool === 'missing') {
      const j = await jszipMs(big);
      zipTool = 'jszip (zip is not installed)';
      zipMs = j.ms;
      zipBytes = j.bytes;
    }
    const zipSend = await sendOnceMs(sink.url, zipBytes);
    const amFloor = zipMs + zipSend;
    await benchGet('reset');
    cloud.stats.reset();
    await benchGet('profile-start');
    const am = await deploy(big, 'amplify', `${bigName}-amplify`);
    profiles[`${bigName} → Amplify`] = await benchGet<ProfileSummary>('profile-stop');
    const amServer = await benchGet<ServerStats>('stats');
    const amCloud = cloudBytes(cloud);
    const amSteps = await serverSteps(am.deploymentId);
    results.amplifyFull = {
      ...am,
      serverSteps: amSteps,
      serverPeakRss: amServer.peakRss,
      clientToServerBytes: amServer.bytesIn,
      serverToPlatformBytes: amCloud,
      floor: { tool: zipTool, zipMs, zipBytes: zipBytes.length, sendMs: zipSend },
    };
    console.log(
      `2. Full deploy of ${bigName} to Amplify (${am.status}); client→server: ${MB(sumValues(amServer.bytesIn))} (blobs already held: ${am.uploaded} uploaded)`,
    );
    const amServerTime = am.phases.createToReady;
    row({
      measure: `2. ${bigName} → Amplify, create → ready`,
      figure: ms(amServerTime),
      floor: `${ms(amFloor)} (${zipTool} ${ms(zipMs)} + loopback send ${ms(zipSend)})`,
      ratio: ratio(amServerTime, amFloor),
      note: 'blobs already on the server from #1; client hash+negotiate not counted',
    });
    row({
      measure: '   zip (server, yazl: native zlib)',
      figure: ms(amSteps.zip ?? 0),
      floor: `${ms(zipMs)} (${zipTool})`,
      ratio: ratio(amSteps.zip ?? 0, zipMs),
    });
    row({
      measure: '   server→platform upload (presigned PUT)',
      figure: `${ms(amSteps.upload ?? 0)}, ${MB(amCloud.total)}`,
      floor: `${ms(zipSend)}, ${MB(zipBytes.length)}`,
      ratio: ratio(amSteps.upload ?? 0, zipSend),
    });
    row({
      measure: '   job (start → SUCCEED, 100 ms polling)',
      figure: ms((amSteps.start ?? 0) + (amSteps.build ?? 0)),
      floor: `${ms(2 * config.amplify.jobStepMs)} (emulated job)`,
      ratio: ratio((amSteps.start ?? 0) + (amSteps.build ?? 0), 2 * config.amplify.jobStepMs),
    });
    row({ measure: '   server peak RSS', figure: MB(amServer.peakRss), floor: `${MB(stats0.rss)} idle`, ratio: ratio(amServer.peakRss, stats0.rss) });

    // ---- 4. site-small quick deploy, N runs
    const runs = QUICK ? 5 : 20;
    const small = siteSmall();
    const smallBytes = totalBytes(small);
    const smallBuf = Buffer.concat([...small.values()]);
    const smallFloor = hashFloorMs(small) + Math.min(await sendOnceMs(sink.url, smallBuf), await sendOnceMs(sink.url, smallBuf));
    const quick: DeployResult[] = [];
    for (let i = 0; i < runs; i++) {
      const s = siteSmall();
      s.set('index.html', Buffer.from(`<!doctype html><p>run ${i} ${Date.now()}</p>`)); // a new site each run: one new blob
      quick.push(await deploy(s, 'cloudflare', `small-${i}`));
    }
    const qTimes = quick.map((q) => q.phases.createToReady);
    const qTotals = quick.map((q) => q.phases.total);
    results.quickDeploy = {
      runs,
      files: small.size,
      bytes: smallBytes,
      createToReadyMs: qTimes,
      firstByteToReadyMs: qTotals,
      floorMs: smallFloor,
      statuses: quick.map((q) => q.status),
    };
    console.log(`4. site-small (${small.size} files, ${MB(smallBytes)}) quick deploy × ${runs}`);
    row({
      measure: `4. site-small quick deploy, create → ready (${runs} runs)`,
      figure: `median ${ms(pct(qTimes, 50))}, p95 ${ms(pct(qTimes, 95))}`,
      floor: `${ms(smallFloor)} (SHA-256 + loopback send of ${MB(smallBytes)})`,
      ratio: ratio(pct(qTimes, 50), smallFloor),
      note: `first byte → ready: median ${ms(pct(qTotals, 50))}`,
    });

    // ---- 5. fan-out: N SSE watchers over M deployments
    const deps = QUICK ? 5 : 10;
    const watchersN = QUICK ? 100 : 1000;
    // Slow the platform so the deployments are still running when every watcher is connected.
    cloud.faults.set({ rules: [{ target: 'cloudflare', kind: 'delay', delayMs: 500, probability: 1 }] });
    const fanSites = Array.from({ length: deps }, (_, i) => {
      const s = siteSmall(100 + i);
      s.set('index.html', Buffer.from(`<p>fan-out ${i} ${Date.now()}</p>`));
      return s;
    });
    // Upload and create without following, then open the watchers at once.
    const fanIds: string[] = [];
    for (const [i, s] of fanSites.entries()) {
      const manifest: Record<string, { sha256: string; size: number }> = {};
      for (const [p, b] of s) manifest[p] = { sha256: createHash('sha256').update(b).digest('hex'), size: b.length };
      const { data } = await trpc<NegotiateAnswer>('files.negotiate', { platform: 'cloudflare', manifest });
      const hashed = [...s.values()].map((bytes) => ({ path: '', sha256: createHash('sha256').update(bytes).digest('hex'), bytes }));
      await uploadMissing(hashed, data.missing, () => {}, { baseUrl: base, headers: { authorization: auth } });
      fanIds.push(
        (
          await trpc<{ deploymentId: string }>('deployments.create', {
            chatId: `fanout-${i}`,
            platform: 'cloudflare',
            authMode: 'platform-managed',
            manifestId: data.manifestId,
          })
        ).data.deploymentId,
      );
    }
    await benchGet('reset');
    const reads0 = (await benchGet<ServerStats>('stats')).statusReads;
    const fanStart = Date.now();
    const rttFloor = Math.min(...(await Promise.all(Array.from({ length: 5 }, () => roundTripMs(`${base}/_bench/stats`)))));
    const watchers = await Promise.all(
      Array.from({ length: watchersN }, async (_, i) => {
        let openedAt = 0;
        const events = await follow(fanIds[i % deps]!, () => (openedAt = Date.now()));
        return { id: fanIds[i % deps]!, openedAt, events };
      }),
    );
    const fanEnd = Date.now();
    cloud.faults.clear();
    const fanServer = await benchGet<ServerStats>('stats');
    const reads = fanServer.statusReads - reads0;
    const eventTimes = new Map<string, Map<number, number>>();
    for (const id of fanIds) eventTimes.set(id, new Map((await benchGet<{ id: number; at: number }[]>(`events?id=${id}`)).map((e) => [e.id, e.at])));
    const delays: number[] = [];
    let allReady = 0;
    for (const w of watchers) {
      if (w.events.at(-1)?.status === 'ready') allReady++;
      for (const e of w.events) {
        const at = eventTimes.get(w.id)!.get(e.id)!;
        if (at >= w.openedAt) delays.push(e.receivedAt - at); // only changes that happened while watching
      }
    }
    const readsPerSec = reads / ((fanEnd - fanStart) / 1000);
    results.fanout = {
      deployments: deps,
      watchers: watchersN,
      watchersSawReady: allReady,
      elapsedMs: fanEnd - fanStart,
      statusReads: reads,
      readsPerSec,
      serverPeakRss: fanServer.peakRss,
      delays: { count: delays.length, p50: pct(delays, 50), p99: pct(delays, 99), max: Math.max(...delays) },
      floorRoundTripMs: rttFloor,
      cloudDelayFaultMs: 500,
    };
    console.log(`5. Fan-out: ${watchersN} SSE watchers over ${deps} deployments (${allReady} saw ready, ${ms(fanEnd - fanStart)})`);
    row({
      measure: `5. fan-out ${watchersN} watchers / ${deps} deployments: p99 status → delivery`,
      figure: `${ms(pct(delays, 99))} (p50 ${ms(pct(delays, 50))}, ${delays.length} deliveries)`,
      floor: `${rttFloor.toFixed(1)} ms (one loopback request with no wait)`,
      ratio: ratio(pct(delays, 99), rttFloor),
      note: 'the runner is in this process: its events wake the poller; from another process the 1 s poll is the delay',
    });
    row({
      measure: '   database status reads / s',
      figure: `${readsPerSec.toFixed(1)} (${reads} reads)`,
      floor: `${deps} /s (one read per deployment per 1 s poll)`,
      ratio: ratio(readsPerSec, deps),
    });
    row({
      measure: '   server peak RSS',
      figure: MB(fanServer.peakRss),
      floor: `${MB(stats0.rss)} idle`,
      ratio: ratio(fanServer.peakRss, stats0.rss),
      note: `≈ ${KB((fanServer.peakRss - stats0.rss) / watchersN)} per watcher above idle (upper bound)`,
    });

    // ---- 6. throughput: N small deployments at once
    const burst = QUICK ? 10 : 50;
    const tb = now();
    const settled = await Promise.allSettled(
      Array.from({ length: burst }, (_, i) => {
        const s = siteSmall(1000 + i);
        s.set('index.html', Buffer.from(`<p>burst ${i} ${Date.now()}</p>`));
        return deploy(s, 'cloudflare', `burst-${i}`);
      }),
    );
    const burstMs = now() - tb;
    const ok = settled.filter((s) => s.status === 'fulfilled' && s.value.status === 'ready').length;
    const errors = settled.length - ok;
    const reasons = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason).slice(0, 200)] : s.value.status !== 'ready' ? [s.value.status] : []));
    const single = pct(qTotals, 50);
    results.throughput = {
      deployments: burst,
      ready: ok,
      errors,
      errorSamples: reasons.slice(0, 5),
      totalMs: burstMs,
      perSecond: burst / (burstMs / 1000),
      floorSingleMs: single,
    };
    console.log(`6. Throughput: ${burst} deployments at once`);
    row({
      measure: `6. ${burst} small deployments at once: all ready`,
      figure: `${ms(burstMs)}, ${ok}/${burst} ready, ${errors} errors`,
      floor: `${ms(single)} (one alone, #4 median first byte → ready)`,
      ratio: ratio(burstMs, single),
      note: `${(burst / (burstMs / 1000)).toFixed(1)} deployments/s`,
    });

    results.rows = rows;
    results.serverCpuProfiles = profiles;
    results.totalMs = now() - started;
  } finally {
    await sink.close();
    server.child.kill('SIGTERM');
    await cloud.close();
    await blobStore.close();
    dropDatabase();
  }

  printTable();
  printProfiles();
  const dir = path.join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${QUICK ? 'latest-quick' : 'latest'}${STORE === 's3' ? '-s3' : ''}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2));
  console.log(`\nWrote ${path.relative(process.cwd(), file)} in ${ms(now() - started)}.`);
  const failed = (results.throughput as { errors: number }).errors > 0 || !(results.cloudflareFull as { status: string }).status.startsWith('ready');
  process.exit(failed ? 1 : 0);
}

function sumValues(o: Record<string, number>) {
  return Object.values(o).reduce((a, b) => a + b, 0);
}

/** The server's CPU time during each profiled deploy: where it went (self time). */
const profiles: Record<string, ProfileSummary> = {};
function printProfiles() {
  for (const [name, p] of Object.entries(profiles)) {
    console.log(`\nServer CPU profile, ${name}: ${p.totalMs} ms sampled`);
    console.log(`  by place: ${p.byPlace.map((b) => `${b.place} ${b.share}%`).join(', ')}`);
    console.log(
      `  busiest:  ${p.topFunctions
        .slice(0, 8)
        .map((f) => `${f.fn} (${f.place}) ${f.ms} ms`)
        .join('; ')}`,
    );
  }
}

function printTable() {
  const head: Row = { measure: 'Measure', figure: 'Figure', floor: 'Floor (same run)', ratio: 'Ratio', note: 'Note' };
  const all = [head, ...rows];
  const w = (k: keyof Row) => Math.max(...all.map((r) => (r[k] ?? '').length));
  console.log(`\nDatabase: ${databaseNote}\n`);
  const line = (r: Row) =>
    `| ${r.measure.padEnd(w('measure'))} | ${r.figure.padEnd(w('figure'))} | ${r.floor.padEnd(w('floor'))} | ${r.ratio.padEnd(w('ratio'))} | ${(r.note ?? '').padEnd(w('note'))} |`;
  console.log(line(head));
  console.log(`|${['measure', 'figure', 'floor', 'ratio', 'note'].map((k) => '-'.repeat(w(k as keyof Row) + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

main().catch((err) => {
  console.error(err);
  dropDatabase();
  process.exit(1);
});
