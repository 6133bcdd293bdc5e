// The phases with many sites: 4. one small site quick-deployed again and again, 5. many watchers of the same
// deployments' events (fan-out), 6. many small deployments at once (throughput).
import { createHash } from 'node:crypto';
import type { NegotiateAnswer } from '../src/lib/deploy-client';
import { uploadMissing } from '../src/lib/upload';
import { auth, base, benchGet, deploy, type DeployResult, follow, type ServerStats, trpc } from './client';
import { KB, MB, ms, now, pct, ratio } from './figures';
import { hashFloorMs, roundTripMs, sendOnceMs } from './floors';
import { results, row } from './report';
import type { Stack } from './setup';
import { siteSmall, totalBytes } from './workloads';

/** 4. site-small quick-deployed N times, a new site each run; answers each run's first byte → ready. */
export async function quickDeploys({ sink, quick: QUICK }: Stack): Promise<number[]> {
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
  return qTotals;
}

/** 5. N SSE watchers over M deployments slowed by the platform: how soon each status change reaches them. */
export async function fanOut({ cloud, stats0, quick: QUICK }: Stack): Promise<void> {
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
}

/** 6. N small deployments at once, against one alone (`qTotals`: the runs of #4). */
export async function throughput({ quick: QUICK }: Stack, qTotals: number[]): Promise<void> {
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
}
