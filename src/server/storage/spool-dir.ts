// This process's folder for spooled files: local copies of a remote store's objects (packs read for a
// deployment) and bodies being uploaded. It is removed when the process exits; a process stopped by a
// signal (SIGTERM from a container or a service manager, SIGKILL) leaves it behind, and every restart
// would leave another. So the first time a process needs its folder, it removes the folders (and the
// loose spool files of earlier versions) that no process has touched for an hour; a live process
// touches its own every ten minutes, and its files change it as they come and go.
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const SPOOL_PREFIX = 'huskit-spool-';
/** Untouched this long, a spool folder or file is no live process's. */
export const SPOOL_STALE_MS = 60 * 60 * 1000;
/** How often a live process touches its folder: well within SPOOL_STALE_MS. */
export const SPOOL_TOUCH_MS = 10 * 60 * 1000;

const folders = new Map<string, Promise<string>>();

/**
 * This process's spool folder under `base` (the system's temporary folder unless given), made at the
 * first call, and made again when it went (a temporary-files cleaner, a sibling process that took it for
 * a dead one's): without it no body could be spooled until the process restarts.
 */
export async function processSpoolDir(base = os.tmpdir()): Promise<string> {
  const made = folders.get(base);
  if (made) {
    const dir = await made;
    if (await isFolder(dir)) return dir;
    // Gone: made again, once for every caller that finds it gone.
    if (folders.get(base) === made) folders.delete(base);
  }
  let folder = folders.get(base);
  if (!folder) {
    folder = makeFolder(base);
    folders.set(base, folder);
    folder.catch(() => folders.delete(base));
  }
  return folder;
}

const isFolder = (dir: string) =>
  stat(dir).then(
    (info) => info.isDirectory(),
    () => false,
  );

async function makeFolder(base: string): Promise<string> {
  await removeStaleSpools(base);
  // Owner-only (mkdtemp's 0700): these are users' files.
  const folder = await mkdtemp(path.join(base, `${SPOOL_PREFIX}${process.pid}-`));
  const touch = setInterval(() => {
    const now = new Date();
    // Gone (made again elsewhere meanwhile): no longer touched.
    utimes(folder, now, now).catch(() => clearInterval(touch));
  }, SPOOL_TOUCH_MS);
  touch.unref();
  removedAtExit(folder);
  return folder;
}

/** The folders this process made, removed as it exits (one listener, however many were made). */
const madeHere = new Set<string>();
function removedAtExit(folder: string): void {
  if (madeHere.size === 0) process.once('exit', () => madeHere.forEach((f) => rmSync(f, { recursive: true, force: true })));
  madeHere.add(folder);
}

/** Removes the spool folders and files under `base` untouched for SPOOL_STALE_MS; answers how many. */
export async function removeStaleSpools(base: string, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (!name.startsWith(SPOOL_PREFIX)) continue;
    const entry = path.join(base, name);
    const info = await stat(entry).catch(() => null);
    if (!info || now - info.mtimeMs < SPOOL_STALE_MS) continue;
    await rm(entry, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
