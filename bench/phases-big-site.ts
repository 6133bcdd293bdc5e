// The phases on the big site (site-5k; site-500 with --quick), in the order they run: 1. a full deploy to
// Cloudflare, 3. a redeploy with one file changed, 2. a full deploy of the original tree to Amplify (whose
// blobs the server then holds already). Each figure beside its floor, measured in the same run.
import os from 'node:os';
import { benchGet, cloudBytes, deploy, type DeployResult, serverSteps, type ServerStats } from './client';
import { KB, MB, ms, pct, ratio, sumValues } from './figures';
import { hashFloorMs, jszipMs, sendOnceMs, zipFloor } from './floors';
import { startProfile, stopProfile, type ProfileSummary } from './profile';
import { profiles, results, row } from './report';
import { helperCpuMs, type Stack } from './setup';
import { rng, site500, site5k, totalBytes, type Site } from './workloads';

const CORES = os.availableParallelism();

/** Where a phase starts: the server's idle RSS after a GC, and the CPU time used so far on both sides. */
async function phaseStart(): Promise<{ idleRss: number; serverCpuMs: number; benchCpu: NodeJS.CpuUsage; helperCpuMs: number }> {
  const { rss } = await benchGet<{ rss: number }>('reset');
  return { idleRss: rss, serverCpuMs: (await benchGet<ServerStats>('stats')).cpuMs, benchCpu: process.cpuUsage(), helperCpuMs: helperCpuMs() };
}

/** The phase's peak RSS beside the idle before it (and at the server's start), and the CPU time both processes used. */
function resourceRows(start: Awaited<ReturnType<typeof phaseStart>>, server: ServerStats, wallMs: number, idleAtStart: number): void {
  row({
    measure: '   server peak RSS',
    figure: MB(server.peakRss),
    floor: `${MB(idleAtStart)} idle (at start)`,
    ratio: ratio(server.peakRss, idleAtStart),
    note:
      `idle just before this deploy (after a GC; the warm-up started the worker threads): ${MB(start.idleRss)}, ${ratio(server.peakRss, start.idleRss)}. ` +
      `Peak from ${server.peakFrom}. At its largest sample, main thread: heap ${MB(server.atPeak.heapUsed)} used of ${MB(server.atPeak.heapTotal)}, buffers ${MB(server.atPeak.arrayBuffers)}`,
  });
  const bench = process.cpuUsage(start.benchCpu);
  const serverCpu = server.cpuMs - start.serverCpuMs;
  const benchCpu = (bench.user + bench.system) / 1000;
  const helperCpu = helperCpuMs() - start.helperCpuMs;
  row({
    measure: '   CPU time: server (all threads) + bench process (client, local cloud) + helpers (database relay, s3 store)',
    figure: `${ms(serverCpu)} + ${ms(benchCpu)} + ${ms(helperCpu)}`,
    floor: `${ms(CORES * wallMs)} (${CORES} cores × wall)`,
    ratio: ratio(serverCpu + benchCpu + helperCpu, CORES * wallMs),
    note: '1× = every core busy for the whole deploy: near it, only less work makes the deploy faster',
  });
}

/** The big site generated, then its phases in turn; the redeploy's change is undone before Amplify. */
export async function bigSitePhases(stack: Stack): Promise<void> {
  const QUICK = stack.quick;
  const bigName = QUICK ? 'site-500' : 'site-5k';
  const big = QUICK ? site500() : site5k();
  const bigBytes = totalBytes(big);
  const bigBuf = Buffer.concat([...big.values()]);
  console.log(`\n${bigName}: ${big.size} files, ${MB(bigBytes)}`);
  const { cf, hashFloor } = await cloudflareFull(stack, big, bigName, bigBytes, bigBuf);
  const { changedPath, changed } = await redeploy(stack, big, bigName, hashFloor, cf);

  // ---- 2. full deploy to Amplify (the original tree)
  big.set(changedPath, changed);
  await amplifyFull(stack, big, bigName);
}

/** 1. The first deploy of the big site to Cloudflare, everything uploaded; answers it and the hashing floor. */
async function cloudflareFull(
  { cloud, sink, stats0 }: Stack,
  big: Site,
  bigName: string,
  bigBytes: number,
  bigBuf: Buffer,
): Promise<{ cf: DeployResult; hashFloor: number }> {
  // ---- floors for the big site
  const hashFloor = hashFloorMs(big);
  await sendOnceMs(sink.url, bigBuf); // a first send pays once for what the next ones do not (fetch's code, the sink's buffers)
  const sendFloor = Math.min(await sendOnceMs(sink.url, bigBuf), await sendOnceMs(sink.url, bigBuf));
  const cfFloor = hashFloor + sendFloor;

  // ---- 1. full deploy to Cloudflare
  // Measured first: the VACUUM before it is not part of the phase (its RSS, its CPU).
  const dbBefore = await benchGet<DbSize>('db-size');
  const start = await phaseStart();
  cloud.stats.reset();
  await benchGet('profile-start');
  // With BENCH_PROFILE_DIR this process (the client and the local cloud) is profiled too.
  if (process.env.BENCH_PROFILE_DIR) await startProfile();
  const cf = await deploy(big, 'cloudflare', `${bigName}-cf`);
  if (process.env.BENCH_PROFILE_DIR) await stopProfile();
  profiles[`${bigName} → Cloudflare`] = await benchGet<ProfileSummary>('profile-stop');
  const cfServer = await benchGet<ServerStats>('stats');
  const db = dbGrowth(dbBefore, await benchGet<DbSize>('db-size'));
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
    postgresGrowthBytes: db.bytes,
    postgresTables: db.tables,
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
  resourceRows(start, cfServer, cf.phases.total, stats0.rss);
  postgresRow(db, bigBytes);
  return { cf, hashFloor };
}

/** What PostgreSQL holds: in all, and per table with its indexes and TOAST. */
interface DbSize {
  bytes: number;
  tables: Record<string, number>;
}

interface DbGrowth {
  bytes: number;
  before: number;
  after: number;
  /** The tables that changed, most grown first. */
  tables: { name: string; before: number; after: number }[];
}

function dbGrowth(before: DbSize, after: DbSize): DbGrowth {
  const tables = Object.entries(after.tables)
    .map(([name, bytes]) => ({ name, before: before.tables[name] ?? 0, after: bytes }))
    .filter((t) => t.after !== t.before)
    .sort((a, b) => b.after - b.before - (a.after - a.before));
  return { bytes: after.bytes - before.bytes, before: before.bytes, after: after.bytes, tables };
}

/** PostgreSQL's growth over a deploy of `deployed` bytes (the whole site: what the deployment publishes). */
function postgresRow(db: DbGrowth, deployed: number): void {
  row({
    measure: '   PostgreSQL growth (all tables, indexes, TOAST)',
    figure: `${db.bytes >= 1e6 ? MB(db.bytes) : KB(db.bytes)} (${MB(db.before)} → ${MB(db.after)})`,
    floor: `${MB(deployed)} deployed`,
    ratio: `${((100 * db.bytes) / deployed).toFixed(2)} %`,
    note: `goal < 1 % of the bytes deployed. Per table (with its indexes and TOAST), before → after: ${db.tables.map((t) => `${t.name} ${KB(t.before)} → ${KB(t.after)}`).join('; ') || 'none grew'}`,
  });
}

const REDEPLOY_RUNS = 5;

/** 3. The big site deployed again with one 4 KB file changed; answers that file's path and its original bytes. */
async function redeploy(
  { cloud, sink }: Stack,
  big: Site,
  bigName: string,
  hashFloor: number,
  cf: DeployResult,
): Promise<{ changedPath: string; changed: Buffer }> {
  const changedPath = [...big.keys()].find((p) => p.endsWith('.html') && big.get(p)!.length > 2048 && big.get(p)!.length < 8192)!;
  const changed = Buffer.from(big.get(changedPath)!);
  const changedFile = (seed: number) => {
    const r = rng(seed);
    const bytes = Buffer.alloc(4096, 0x20);
    for (let i = 0; i < 4096; i++) bytes[i] = 97 + Math.floor(r() * 26);
    return bytes;
  };
  big.set(changedPath, changedFile(7));
  const dbBefore = await benchGet<DbSize>('db-size');
  await benchGet('reset');
  cloud.stats.reset();
  // Timed without the profiler (it costs a redeploy ~20 %); the next one, of another change, is profiled.
  const re = await deploy(big, 'cloudflare', `${bigName}-cf`);
  const db = dbGrowth(dbBefore, await benchGet<DbSize>('db-size'));
  const reServer = await benchGet<ServerStats>('stats');
  const reCloud = cloudBytes(cloud);
  const reSteps = await serverSteps(re.deploymentId);
  const reClientBytes = sumValues(reServer.bytesIn);
  // The client sends the changed file and a delta of one path, not the manifest.
  const reFloorSend = await sendOnceMs(sink.url, Buffer.alloc(4096));
  const reFloor = hashFloor + reFloorSend;
  const reGoalBytes = 20_000;
  // One redeploy's wall time swings by ±20 % from run to run here: the figure is the median of this one
  // and REDEPLOY_RUNS − 1 more, each of another change of the same file.
  const walls = [re.phases.total];
  for (let i = 1; i < REDEPLOY_RUNS; i++) {
    big.set(changedPath, changedFile(20 + i));
    walls.push((await deploy(big, 'cloudflare', `${bigName}-cf`)).phases.total);
  }
  const reWall = pct(walls, 50);
  results.redeploy = {
    ...re,
    serverSteps: reSteps,
    clientToServerBytes: reServer.bytesIn,
    serverToPlatformBytes: reCloud,
    changedPath,
    goalBytes: reGoalBytes,
    postgresGrowthBytes: db.bytes,
    postgresTables: db.tables,
    wallTimes: walls,
    medianWall: reWall,
  };
  console.log(`3. Redeploy with one 4 KB file changed (${re.status})`);
  row({
    measure: `3. redeploy, 1 × 4 KB changed: wall time`,
    figure: ms(reWall),
    floor: `${ms(reFloor)} (re-hash + send 4 KB)`,
    ratio: ratio(reWall, reFloor),
    note: `${((100 * reWall) / cf.phases.total).toFixed(1)}% of the full deploy (goal ≤ 5 %); the median of ${REDEPLOY_RUNS} redeploys (${walls
      .map((w) => Math.round(w))
      .join(', ')} ms)`,
  });
  row({
    measure: '   bytes client→server',
    figure: KB(reClientBytes),
    floor: `${KB(4096)} (the changed file)`,
    ratio: ratio(reClientBytes, 4096),
    note: `${re.delta ? 'delta' : 'whole manifest (the delta was refused)'}: ${
      reServer.bytesIn['trpc files.negotiate'] === undefined
        ? `one create with the changed file inline (base64), ${KB(reServer.bytesIn['trpc deployments.create'] ?? 0)}`
        : `negotiate ${KB(reServer.bytesIn['trpc files.negotiate'])} + blobs ${KB(reServer.bytesIn['blobs upload'] ?? 0)} + create ${KB(reServer.bytesIn['trpc deployments.create'] ?? 0)}`
    }; goal ≤ ${KB(reGoalBytes)}`,
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
  postgresRow(db, totalBytes(big));
  big.set(changedPath, changedFile(8));
  await benchGet('profile-start');
  await deploy(big, 'cloudflare', `${bigName}-cf`);
  profiles[`${bigName} redeploy, one file changed (the next one: the timed one runs unprofiled)`] = await benchGet<ProfileSummary>('profile-stop');
  return { changedPath, changed };
}

/** 2. The big site to Amplify: zipped on the server and uploaded to the platform's presigned URL. */
async function amplifyFull({ cloud, config, sink, stats0 }: Stack, big: Site, bigName: string): Promise<void> {
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
  const start = await phaseStart();
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
    measure: '   zip (server, deflated in batches on the worker threads)',
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
  resourceRows(start, amServer, am.phases.total, stats0.rss);
}
