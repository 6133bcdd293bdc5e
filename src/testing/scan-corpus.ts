// The content scan's corpus as whole sites, ready to deploy through any path: hostile pages (each
// refused by one named rule) and ordinary ones (the templates, real framework builds, hand-written
// pages that look close to hostile ones) that must pass. Files live in test-fixtures/scan-corpus/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScanRule } from '@/server/deploy/scan';
import { TEMPLATES, templateFiles, type TemplateId } from '@/server/projects/templates';

const ROOT = fileURLToPath(new URL('../../test-fixtures/scan-corpus/', import.meta.url));

export interface HostileEntry {
  name: string;
  /** What refusing this site proves. */
  proves: string;
  /** The rule that must refuse it, and the file it must name. */
  rule: ScanRule;
  file: string;
  files: Record<string, Buffer>;
}

export interface BenignEntry {
  name: string;
  files: Record<string, Buffer>;
}

/** A plain home page that uses the file the way a site would. */
function homePageFor(file: string): Buffer {
  const use = /\.(?:[mc]?js|txt|json|payload|woff2)$/.test(file)
    ? `<script src="${file}"></script>`
    : /\.css$/.test(file)
      ? `<link rel="stylesheet" href="${file}">`
      : /\.svgz?$/.test(file)
        ? `<img src="${file}" alt="">`
        : `<a href="${file}">Continue</a>`;
  return Buffer.from(`<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Home</title>${use}</head><body><h1>Welcome</h1></body></html>\n`);
}

/** A site made of one page (as its index.html) or of a home page plus the file. */
function siteAround(file: string, bytes: Buffer): Record<string, Buffer> {
  if (file === 'index.html') return { 'index.html': bytes };
  return { 'index.html': homePageFor(file), [file]: bytes };
}

function filesUnder(dir: string, prefix = ''): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) Object.assign(out, filesUnder(full, `${prefix}${name}/`));
    else out[`${prefix}${name}`] = readFileSync(full);
  }
  return out;
}

export function hostileCorpus(): HostileEntry[] {
  const dir = path.join(ROOT, 'hostile');
  const listing = JSON.parse(readFileSync(path.join(dir, 'corpus.json'), 'utf8')) as Record<string, { rule: ScanRule; proves: string }>;
  return Object.entries(listing).map(([file, { rule, proves }]) => ({
    name: file,
    proves,
    rule,
    file,
    files: siteAround(file, readFileSync(path.join(dir, file))),
  }));
}

export function benignCorpus(): BenignEntry[] {
  const templates = (Object.keys(TEMPLATES) as TemplateId[]).map((id) => ({ name: `template: ${id}`, files: templateFiles(id, `Corpus ${id}`) }));
  const pagesDir = path.join(ROOT, 'benign', 'pages');
  const pages = readdirSync(pagesDir)
    .sort()
    .map((file) => ({ name: `page: ${file}`, files: siteAround(/\.html$/.test(file) ? 'index.html' : file, readFileSync(path.join(pagesDir, file))) }));
  const sitesDir = path.join(ROOT, 'benign', 'sites');
  const sites = readdirSync(sitesDir)
    .sort()
    .map((site) => ({ name: `build: ${site}`, files: filesUnder(path.join(sitesDir, site)) }));
  return [...templates, ...sites, ...pages];
}
