// A process's spool folder: its own, removed when it exits; left behind by a process killed by a signal,
// and then removed by the next process once no one has touched it for an hour (older versions' loose
// spool files too), while a live process's folder is kept.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Readable } from 'node:stream';
import { processSpoolDir, removeStaleSpools, SPOOL_PREFIX, SPOOL_STALE_MS, SPOOL_TOUCH_MS } from './spool-dir';
import { spoolToTempFile } from './spool';

const bases: string[] = [];
const newBase = async () => bases[bases.push(await mkdtemp(path.join(os.tmpdir(), 'huskit-spool-test-'))) - 1]!;
afterAll(async () => {
  for (const base of bases) await rm(base, { recursive: true, force: true });
});

const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
const age = async (entry: string, h: number) => utimes(entry, hoursAgo(h), hoursAgo(h));

/**
 * A child process that makes its spool folder under `base`, writes a file in it, prints the folder, then
 * exits on its own (`exit`) or waits to be killed (`wait`).
 */
function child(base: string, end: 'exit' | 'wait') {
  const entry = JSON.stringify(new URL('./spool-dir.ts', import.meta.url).pathname);
  const code = `
    const { processSpoolDir } = await import(${entry});
    const folder = await processSpoolDir(${JSON.stringify(base)});
    (await import('node:fs')).writeFileSync(folder + '/copy', 'bytes of a pack');
    console.log('FOLDER ' + folder);
    ${end === 'exit' ? '' : 'setInterval(() => {}, 1000);'}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const folder = new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /FOLDER (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`the child exited (${code}) before making its folder: ${out}`)));
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, folder, exited };
}

describe("a process's spool folder", () => {
  it('is one folder of its own under the base (owner-only), the same at every call', async () => {
    const base = await newBase();
    const folder = await processSpoolDir(base);
    expect(path.dirname(folder)).toBe(base);
    expect(path.basename(folder).startsWith(`${SPOOL_PREFIX}${process.pid}-`)).toBe(true);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    expect(await processSpoolDir(base)).toBe(folder);
    expect(await readdir(base)).toEqual([path.basename(folder)]);
  });

  it('is removed, with its files, when its process exits', async () => {
    const base = await newBase();
    const run = child(base, 'exit');
    const folder = await run.folder;
    await run.exited;
    expect(existsSync(folder)).toBe(false);
  });

  it('of a killed process stays, until a new process finds it untouched for an hour and removes it; a live one is kept', async () => {
    const base = await newBase();
    const killed = child(base, 'wait');
    const killedFolder = await killed.folder;
    const live = child(base, 'wait');
    const liveFolder = await live.folder;
    try {
      killed.proc.kill('SIGKILL');
      await killed.exited;
      expect(existsSync(path.join(killedFolder, 'copy'))).toBe(true);
      // An older version's loose spool file, and something else of the same age that is not a spool.
      writeFileSync(path.join(base, `${SPOOL_PREFIX}0f1e2d3c`), 'left by an older version');
      mkdirSync(path.join(base, 'other-folder'));
      for (const entry of [killedFolder, path.join(base, `${SPOOL_PREFIX}0f1e2d3c`), path.join(base, 'other-folder')]) await age(entry, 2);
      // Just inside the hour: kept.
      await utimes(liveFolder, new Date(Date.now() - SPOOL_STALE_MS + 60_000), new Date(Date.now() - SPOOL_STALE_MS + 60_000));

      // This process asks for its own folder under the same base: the stale ones go first.
      const mine = await processSpoolDir(base);
      expect((await readdir(base)).sort()).toEqual([path.basename(liveFolder), path.basename(mine), 'other-folder'].sort());
      expect(existsSync(path.join(liveFolder, 'copy'))).toBe(true);
      expect(await removeStaleSpools(base)).toBe(0);
    } finally {
      live.proc.kill('SIGKILL');
      await live.exited;
    }
  });

  it('is touched while its process lives, so that it never looks stale to another', async () => {
    vi.useFakeTimers({ toFake: ['setInterval'] });
    try {
      const base = await newBase();
      const folder = await processSpoolDir(base);
      await age(folder, 2);
      vi.advanceTimersByTime(SPOOL_TOUCH_MS);
      await vi.waitFor(async () => expect(Date.now() - (await stat(folder)).mtimeMs).toBeLessThan(SPOOL_STALE_MS));
      expect(await removeStaleSpools(base)).toBe(0);
      expect(existsSync(folder)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("a process's spool folder removed under it (a temporary-files cleaner)", () => {
  it('is made again at the next call, and bodies spool into it', async () => {
    const base = await newBase();
    const first = await processSpoolDir(base);
    await rm(first, { recursive: true, force: true });
    const again = await processSpoolDir(base);
    expect(existsSync(again)).toBe(true);
    const spooled = await spoolToTempFile(Readable.from([Buffer.from('spooled again')]), {}, again);
    expect(readFileSync(spooled.file, 'utf8')).toBe('spooled again');
    expect(await processSpoolDir(base)).toBe(again);
  });

  it('made again and again, adds no listener on the process each time', async () => {
    const base = await newBase();
    await processSpoolDir(base);
    const listeners = process.listenerCount('exit');
    for (let i = 0; i < 12; i++) await rm(await processSpoolDir(base), { recursive: true, force: true });
    expect(existsSync(await processSpoolDir(base))).toBe(true);
    expect(process.listenerCount('exit')).toBe(listeners);
  });
});
