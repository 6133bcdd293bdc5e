'use client';
// Sites: create one from a starter template, or import a folder or a .zip; then open it in the editor.
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formatBytes } from '@/lib/site-files';
import { hashFiles, uploadMissing, type UploadProgress } from '@/lib/upload';
import { useTRPC } from '@/trpc/react';
import { ProgressBar } from '@/components/ui/progress-bar';
import { filesFromInput } from './import-files';

const TEMPLATES = [
  { id: 'landing', label: 'Landing page' },
  { id: 'portfolio', label: 'Portfolio with images' },
  { id: 'spa', label: 'Single-page app' },
] as const;

export function SitesPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const [name, setName] = useState('');
  const [template, setTemplate] = useState<(typeof TEMPLATES)[number]['id']>('landing');
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [importError, setImportError] = useState<string | null>(null);
  const create = useMutation(trpc.projects.create.mutationOptions());
  const missing = useMutation(trpc.files.missing.mutationOptions());
  const addFiles = useMutation(trpc.projects.addFiles.mutationOptions());

  async function createFromTemplate(e: React.FormEvent) {
    e.preventDefault();
    const project = await create.mutateAsync({ name: name || 'My site', template });
    router.push(`/sites/${project.id}`);
  }

  async function importFiles(list: FileList | File[]) {
    setImportError(null);
    try {
      const files = await filesFromInput(list);
      if (!files.length) throw new Error('That folder is empty.');
      const hashed = await hashFiles(files, setProgress);
      const { missing: lacking } = await missing.mutateAsync({ hashes: hashed.map((f) => f.sha256) });
      await uploadMissing(hashed, lacking, setProgress);
      const project = await create.mutateAsync({ name: name || 'Imported site' });
      await addFiles.mutateAsync({ projectId: project.id, files: Object.fromEntries(hashed.map((f) => [f.path, { sha256: f.sha256, size: f.bytes.length }])) });
      router.push(`/sites/${project.id}`);
    } catch (err) {
      setImportError((err as Error).message);
      setProgress(null);
    }
  }

  return (
    <div className="grid gap-8 lg:grid-cols-[1fr_22rem]">
      <section aria-labelledby="your-sites">
        <h2 id="your-sites" className="mb-3 text-base font-medium">
          Your sites
        </h2>
        {projects.data?.length === 0 && <p className="text-sm text-neutral-500">No sites yet: start from a template or import your files.</p>}
        <ul className="divide-y divide-neutral-200 rounded-lg border border-neutral-200 bg-white dark:divide-neutral-800 dark:border-neutral-800 dark:bg-neutral-900">
          {projects.data?.map((p) => (
            <li key={p.id}>
              <Link
                href={`/sites/${p.id}`}
                className="flex items-center justify-between px-4 py-3 hover:bg-neutral-50 focus-visible:outline-2 focus-visible:outline-accent dark:hover:bg-neutral-800"
              >
                <span className="font-medium">{p.name}</span>
                <span className="text-sm text-neutral-500">edited {new Date(p.updatedAt).toLocaleString()}</span>
              </Link>
            </li>
          ))}
        </ul>
      </section>

      <aside className="space-y-6">
        <form onSubmit={createFromTemplate} className="space-y-3 rounded-lg border border-neutral-200 bg-white p-4 dark:border-neutral-800 dark:bg-neutral-900">
          <h2 className="text-base font-medium">Create a site</h2>
          <div className="space-y-1.5">
            <label htmlFor="site-name" className="block text-sm font-medium">
              Name
            </label>
            <input
              id="site-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="My site"
              className="w-full rounded-md border border-neutral-300 bg-white px-3 py-2 text-sm focus-visible:outline-2 focus-visible:outline-accent dark:border-neutral-700 dark:bg-neutral-950"
            />
          </div>
          <fieldset className="space-y-1.5">
            <legend className="text-sm font-medium">Template</legend>
            {TEMPLATES.map((t) => (
              <label key={t.id} className="flex items-center gap-2 text-sm">
                <input type="radio" name="template" value={t.id} checked={template === t.id} onChange={() => setTemplate(t.id)} />
                {t.label}
              </label>
            ))}
          </fieldset>
          <button
            type="submit"
            disabled={create.isPending}
            className="w-full rounded-md bg-accent px-4 py-2 text-sm font-medium text-white hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
          >
            Create from template
          </button>
        </form>

        <div
          className="space-y-3 rounded-lg border border-dashed border-neutral-300 p-4 dark:border-neutral-700"
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault();
            void importFiles(e.dataTransfer.files);
          }}
        >
          <h2 className="text-base font-medium">Import your files</h2>
          <p className="text-sm text-neutral-600 dark:text-neutral-400">
            Drop a folder or a .zip here, or pick one. Import the build output (dist/ or build/), with an index.html at its root.
          </p>
          <div className="flex flex-wrap gap-2">
            <label className="cursor-pointer rounded-md border border-neutral-300 px-3 py-1.5 text-sm hover:bg-neutral-100 focus-within:outline-2 focus-within:outline-accent dark:border-neutral-700 dark:hover:bg-neutral-800">
              Choose folder
              <input
                type="file"
                className="sr-only"
                data-testid="import-folder"
                {...{ webkitdirectory: '', directory: '' }}
                multiple
                onChange={(e) => e.target.files && void importFiles(e.target.files)}
              />
            </label>
            <label className="cursor-pointer rounded-md border border-neutral-300 px-3 py-1.5 text-sm hover:bg-neutral-100 focus-within:outline-2 focus-within:outline-accent dark:border-neutral-700 dark:hover:bg-neutral-800">
              Choose .zip
              <input
                type="file"
                accept=".zip,application/zip"
                className="sr-only"
                data-testid="import-zip"
                onChange={(e) => e.target.files && void importFiles(e.target.files)}
              />
            </label>
          </div>
          {progress && (
            <div aria-live="polite" className="space-y-1 text-sm">
              <ProgressBar value={progress.bytes} max={progress.totalBytes || 1} label={progress.phase === 'hashing' ? 'Hashing files' : 'Uploading files'} />
              <p className="tabular-nums text-neutral-600 dark:text-neutral-400">
                {progress.phase === 'hashing' ? 'Hashing' : 'Uploaded'} {progress.files} of {progress.totalFiles} files · {formatBytes(progress.bytes)} of{' '}
                {formatBytes(progress.totalBytes)}
              </p>
            </div>
          )}
          {importError && (
            <p role="alert" className="text-sm text-red-700 dark:text-red-400">
              {importError}
            </p>
          )}
        </div>
      </aside>
    </div>
  );
}
