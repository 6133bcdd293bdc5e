// Deterministic sites generated from a seed, in memory (nothing large is committed).
// site-5k: 5,000 files, ~50 MB: 4,000 small text files (0.5–8 KB), 950 medium (20–60 KB), 50 binary
// "images" (0.3–1.5 MB), nested up to 6 levels. The ranges are the issue's; with uniform sizes they
// would sum to ~90 MB, over the product's 50 MiB per deployment, so sizes are skewed toward the low end
// of each range (size = lo + (hi − lo)·u^k, u spread evenly with jitter): ~49 MB in all.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../src/emulator/faults';

export type Site = Map<string, Buffer>;

/** The emulator's seeded generator (mulberry32): the same seed, the same site. */
export const rng = seededRandom;

const WORDS =
  'the quick brown fox jumps over lazy dog site deploy static asset worker amplify cloud page style script button header footer nav main section article'.split(
    ' ',
  );

function text(r: () => number, size: number, kind: string): Buffer {
  const parts: string[] = [kind === 'html' ? '<!doctype html><html><body>\n' : kind === 'css' ? '/* styles */\n' : '// script\n'];
  let n = parts[0]!.length;
  while (n < size) {
    const line =
      kind === 'css'
        ? `.${WORDS[Math.floor(r() * WORDS.length)]}-${Math.floor(r() * 1e6)} { margin: ${Math.floor(r() * 40)}px; color: #${Math.floor(r() * 0xffffff).toString(16)}; }\n`
        : kind === 'js'
          ? `export const ${WORDS[Math.floor(r() * WORDS.length)]}${Math.floor(r() * 1e6)} = ${Math.floor(r() * 1e9)};\n`
          : `<p>${Array.from({ length: 8 }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ')} ${Math.floor(r() * 1e9)}</p>\n`;
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

function binary(r: () => number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((r() * 4294967296) >>> 0, Math.min(i, size - 4));
  return b;
}

function dirFor(r: () => number): string {
  const depth = Math.floor(r() * 6); // 0–5 folders: files sit up to 6 levels deep
  return Array.from({ length: depth }, (_, i) => `d${i}-${Math.floor(r() * 4)}`).join('/');
}

const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
const EXT = ['html', 'css', 'js'];

/** A site of `small` text files, `medium` text files and `images` binary files. */
export function makeSite(seed: number, counts: { small: number; medium: number; images: number; imageMaxBytes?: number }): Site {
  const r = rng(seed);
  const site: Site = new Map();
  site.set('index.html', text(r, 2048, 'html'));
  const add = (ext: string, bytes: Buffer) => {
    let p: string;
    do p = join(dirFor(r), `f${site.size}-${Math.floor(r() * 1e6)}.${ext}`);
    while (site.has(p));
    site.set(p, bytes);
  };
  const skewed = (i: number, n: number, lo: number, hi: number, k: number) => lo + Math.floor((hi - lo) * ((i + r()) / n) ** k);
  for (let i = 1; i < counts.small; i++) {
    const ext = EXT[i % 3]!;
    add(ext, text(r, skewed(i, counts.small, 512, 8192, 4), ext));
  }
  for (let i = 0; i < counts.medium; i++) {
    const ext = EXT[i % 3]!;
    add(ext, text(r, skewed(i, counts.medium, 20_480, 61_440, 8), ext));
  }
  const maxImg = counts.imageMaxBytes ?? 1_500_000;
  for (let i = 0; i < counts.images; i++) add(i % 2 ? 'png' : 'jpg', binary(r, skewed(i, counts.images, 300_000, maxImg, 11)));
  return site;
}

// 4,000 + 950 + 50 = 5,000 files.
export const site5k = () => makeSite(5000, { small: 4000, medium: 950, images: 50 });
export const site500 = () => makeSite(500, { small: 400, medium: 95, images: 5 });
/** Large enough (~2 MB of pages) that the warm-up starts the server's worker threads, as any earlier big deploy would have. */
export const siteWarmup = () => makeSite(7, { small: 250, medium: 40, images: 2, imageMaxBytes: 400_000 });
export const siteSmall = (seed = 30) => makeSite(seed, { small: 25, medium: 3, images: 2, imageMaxBytes: 700_000 });

export const totalBytes = (site: Site) => [...site.values()].reduce((n, b) => n + b.length, 0);

/** Writes the site under `dir` (for the zip floor). */
export function writeSite(site: Site, dir: string): void {
  for (const [p, bytes] of site) {
    const file = path.join(dir, p);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
}
