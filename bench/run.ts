// `npm run bench` (tsx bench/run.ts [--quick]): the product end to end on this machine, against the
// local cloud and a real PostgreSQL, each figure next to a floor measured in the same run.
// The client (this process) talks HTTP over loopback to bench/server.ts (a child process with the
// real route handlers); the local cloud runs in this process, so the server's RSS is the server's.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultCloudConfig } from '@/emulator/config';
import { startCloud } from '@/emulator/server';
import { authorize, benchGet, connect, deploy, type ServerStats } from './client';
import { MB, ms, now } from './figures';
import { startSink } from './floors';
import { bigSitePhases } from './phases-big-site';
import { fanOut, quickDeploys, throughput } from './phases-many-sites';
import { printProfiles, printTable, profiles, results, rows } from './report';
import { createDatabase, dbName, dropDatabase, startBlobStore, startServer, type Stack } from './setup';
import { siteWarmup } from './workloads';

const QUICK = process.argv.includes('--quick');
/** Where the server keeps file bytes: `--store=s3` runs the bench on s3rver (a process of its own), else a temp folder. */
const STORE = process.argv.includes('--store=s3') ? 's3' : 'fs';

async function main() {
  const started = now();
  const databaseUrl = createDatabase();
  const databaseNote = databaseUrl
    ? `PostgreSQL ${dbName} (Neon driver through the development relay, a process of its own)`
    : 'PGlite in memory (no PostgreSQL: figures are not production-like)';

  // Port 0: the system picks a free one; the server is given the port the cloud got.
  const config = defaultCloudConfig({ port: 0 });
  config.amplify.jobStepMs = 200;
  // The bench deploys ~90 sites in a few minutes: lift the emulator's account limits (not the product's).
  config.cloudflare.workerLimit = 10_000;
  config.cloudflare.rateLimitPer5Min = 1e9;
  config.amplify.branchLimit = 10_000;
  const cloud = await startCloud(config);
  const blobStore = await startBlobStore(STORE);
  const server = await startServer(cloud.port, databaseUrl, blobStore.env);
  connect(server.base);
  const sink = await startSink();
  try {
    authorize(`Bearer ${(await benchGet<{ key: string }>('user')).key}`);
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

    // Warm-up: one deploy so that module loading, the worker threads' start and the first connections are
    // not measured; then a redeploy of one changed file, whose path (a create with its changes) is code
    // of its own to load and compile.
    const warmup = siteWarmup();
    await deploy(warmup, 'cloudflare', 'warmup');
    warmup.set('index.html', Buffer.from('<!doctype html><p>warm-up, again</p>'));
    await deploy(warmup, 'cloudflare', 'warmup');

    const stack: Stack = { cloud, config, sink, stats0, quick: QUICK };
    await bigSitePhases(stack);
    const qTotals = await quickDeploys(stack);
    await fanOut(stack);
    await throughput(stack, qTotals);

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

  printTable(databaseNote);
  printProfiles();
  const dir = path.join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${QUICK ? 'latest-quick' : 'latest'}${STORE === 's3' ? '-s3' : ''}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2));
  console.log(`\nWrote ${path.relative(process.cwd(), file)} in ${ms(now() - started)}.`);
  const failed = (results.throughput as { errors: number }).errors > 0 || !(results.cloudflareFull as { status: string }).status.startsWith('ready');
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  dropDatabase();
  process.exit(1);
});
