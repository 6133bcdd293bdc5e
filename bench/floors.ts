// Floors measured in the same run: the least work a deploy of the same bytes must do on this machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { writeSite, type Site } from './workloads';

const now = () => performance.now();

/** SHA-256 of every file once (what the client must do anyway). */
export function hashFloorMs(site: Site): number {
  const t = now();
  for (const b of site.values()) createHash('sha256').update(b).digest();
  return now() - t;
}

/**
 * A sink on loopback that reads and drops request bodies. Each answer closes its connection: fetch
 * reusing one that the sink's keep-alive timeout is closing at that moment fails with ECONNRESET.
 */
export async function startSink(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.writeHead(200, { connection: 'close' }).end('ok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** One PUT of `bytes` over loopback to the sink, with fetch (the client's own transport). */
export async function sendOnceMs(sinkUrl: string, bytes: Buffer): Promise<number> {
  const t = now();
  const res = await fetch(sinkUrl, { method: 'PUT', body: bytes as unknown as BodyInit, headers: { 'content-type': 'application/octet-stream' } });
  await res.text();
  return now() - t;
}

/** `zip -r -q` of the tree on disk (or jszip in memory when zip is missing, labelled as such). */
export function zipFloor(site: Site): { ms: number; bytes: Buffer; tool: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'huskit-bench-zip-'));
  try {
    writeSite(site, path.join(dir, 'site'));
    if (spawnSync('zip', ['-v'], { stdio: 'ignore' }).status === 0) {
      const t = now();
      execFileSync('zip', ['-r', '-q', path.join(dir, 'site.zip'), '.'], { cwd: path.join(dir, 'site') });
      const ms = now() - t;
      return { ms, bytes: readFileSync(path.join(dir, 'site.zip')), tool: 'zip -r -q' };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { ms: NaN, bytes: Buffer.alloc(0), tool: 'missing' };
}

/** jszip of the same files at level 6 (a JavaScript deflate), for when `zip` is missing. */
export async function jszipMs(site: Site): Promise<{ ms: number; bytes: Buffer }> {
  const t = now();
  const zip = new JSZip();
  for (const [p, b] of site) zip.file(p, b, { compression: 'DEFLATE', compressionOptions: { level: 6 } });
  const bytes = Buffer.from(await zip.generateAsync({ type: 'uint8array' }));
  return { ms: now() - t, bytes };
}

/** One database round trip plus one loopback HTTP round trip: the least a status delivery costs. */
export async function roundTripMs(url: string): Promise<number> {
  const t = now();
  await (await fetch(url)).text();
  return now() - t;
}
