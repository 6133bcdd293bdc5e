'use client';
// Reading what a person drops or picks: a folder (its top folder dropped from the paths) or a .zip.
import JSZip from 'jszip';
import type { LocalFile } from '@/lib/upload';

export async function filesFromInput(list: FileList | File[]): Promise<LocalFile[]> {
  const files = Array.from(list);
  if (files.length === 1 && /\.zip$/i.test(files[0]!.name)) return filesFromZip(files[0]!);
  const out = await Promise.all(
    files.map(async (f) => ({ path: (f.webkitRelativePath || f.name).replace(/\\/g, '/'), bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
  return stripCommonFolder(out);
}

export async function filesFromZip(file: Blob): Promise<LocalFile[]> {
  const zip = await JSZip.loadAsync(await file.arrayBuffer());
  const out: LocalFile[] = [];
  for (const entry of Object.values(zip.files)) {
    if (entry.dir || entry.name.startsWith('__MACOSX/')) continue;
    out.push({ path: entry.name, bytes: await entry.async('uint8array') });
  }
  return stripCommonFolder(out);
}

/** `my-site/index.html`, `my-site/a.css` → `index.html`, `a.css`: a picked folder's name is not part of the site. */
function stripCommonFolder(files: LocalFile[]): LocalFile[] {
  const visible = files.filter((f) => !f.path.split('/').some((s) => s === '.DS_Store' || s === 'Thumbs.db'));
  const first = visible[0]?.path.split('/')[0];
  if (first && visible.every((f) => f.path.startsWith(`${first}/`)) && !visible.some((f) => f.path === 'index.html'))
    return visible.map((f) => ({ ...f, path: f.path.slice(first.length + 1) }));
  return visible;
}

/** A source project (package.json, no index.html at the root): the person should import its build output. */
export function looksLikeSourceProject(paths: string[]): boolean {
  return paths.includes('package.json') && !paths.includes('index.html');
}
