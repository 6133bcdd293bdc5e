'use client';
// The site editor: file tree, a real code editor for text, image preview, add / rename / delete, a
// live preview in a sandboxed frame, and the Deploy button. Saving writes a blob on the server, so a
// deploy sends nothing new.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { formatBytes } from '@/lib/site-files';
import { useTRPC } from '@/trpc/react';
import { DeployButton } from '@/components/deploy/deploy-button';
import { CodeEditor } from './code-editor';
import { looksLikeSourceProject } from './import-files';

const TEXT = /\.(html?|css|m?js|jsx|tsx?|json|txt|md|svg|xml|webmanifest|map)$|(^|\/)_(headers|redirects)$/i;
const IMAGE = /\.(png|jpe?g|gif|webp|avif|ico|svg)$/i;
/** The preview link is renewed this long before it expires (links last 55 to 60 minutes). */
const RENEW_BEFORE_MS = 10 * 60_000;
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export function SiteEditor({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Refetched before the preview link expires: the server hands out a fresh one.
  const project = useQuery({
    ...trpc.projects.get.queryOptions({ projectId }),
    refetchInterval: (query) => {
      const expiresAt = query.state.data?.preview?.expiresAt;
      return expiresAt ? Math.max(new Date(expiresAt).getTime() - Date.now() - RENEW_BEFORE_MS, 30_000) : false;
    },
  });
  const [selected, setSelected] = useState<string | null>(null);
  const [draft, setDraft] = useState<string | null>(null);
  const [saved, setSaved] = useState<'saved' | 'saving' | 'unsaved'>('saved');
  const [previewKey, setPreviewKey] = useState(0);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.projects.get.queryKey({ projectId }) });

  const files = project.data?.files ?? [];
  const current = selected ?? (files.some((f) => f.path === 'index.html') ? 'index.html' : (files[0]?.path ?? null));
  const isText = current !== null && TEXT.test(current);
  const text = useQuery({ ...trpc.projects.readText.queryOptions({ projectId, path: current ?? '' }), enabled: isText, staleTime: Infinity });
  const save = useMutation(trpc.projects.saveText.mutationOptions());
  const rename = useMutation(trpc.projects.renameFile.mutationOptions({ onSuccess: () => void refresh() }));
  const remove = useMutation(trpc.projects.deleteFile.mutationOptions({ onSuccess: () => void refresh() }));

  function edited(text: string) {
    setDraft(text);
    setSaved('unsaved');
  }

  // Autosave a moment after typing stops; the preview reloads once saved.
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (draft === null || current === null || !isText) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      setSaved('saving');
      await save.mutateAsync({ projectId, path: current, text: draft });
      queryClient.setQueryData(trpc.projects.readText.queryKey({ projectId, path: current }), (old) => (old ? { ...old, text: draft } : old));
      setSaved('saved');
      setPreviewKey((k) => k + 1);
      void refresh();
    }, 600);
    return () => clearTimeout(timer.current);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft]);

  if (project.isError) return <p role="alert">{project.error.message}</p>;
  if (!project.data) return <p className="text-sm text-neutral-500">Loading…</p>;
  // Absolute, on the preview origin (user HTML never runs under the app's origin); null when off.
  const previewBase = project.data.preview?.url ?? null;

  async function addFile() {
    const path = window.prompt('New file path (for example about.html or css/extra.css)');
    if (!path) return;
    await save.mutateAsync({ projectId, path, text: '' });
    await refresh();
    setSelected(path);
    setDraft(null);
  }

  return (
    <div className="space-y-4">
      <header className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold tracking-tight">{project.data.name}</h1>
        <span className="text-sm text-neutral-500" aria-live="polite" data-testid="save-state">
          {saved === 'saved' ? 'All changes saved' : saved === 'saving' ? 'Saving…' : 'Unsaved changes'}
        </span>
        <div className="ml-auto">
          <DeployButton projectId={projectId} disabled={saved !== 'saved'} />
        </div>
      </header>

      {looksLikeSourceProject(files.map((f) => f.path)) && (
        <p
          role="note"
          className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
        >
          <strong>Build output needed.</strong> These look like the sources of a project (package.json, no index.html). Build it, then import its dist/ or
          build/ folder.
        </p>
      )}

      <div className="grid min-h-[32rem] gap-4 lg:grid-cols-[14rem_1fr_1fr]">
        <nav aria-label="Files" className="rounded-lg border border-neutral-200 bg-white p-2 text-sm dark:border-neutral-800 dark:bg-neutral-900">
          <ul role="listbox" aria-label="Files of the site" className="space-y-0.5">
            {files.map((f) => (
              <li key={f.path} role="option" aria-selected={f.path === current} className="group flex items-center gap-1">
                <button
                  type="button"
                  onClick={() => {
                    setSelected(f.path);
                    setDraft(null);
                  }}
                  className="flex-1 truncate rounded px-2 py-1 text-left hover:bg-neutral-100 focus-visible:outline-2 focus-visible:outline-accent aria-[current=true]:bg-neutral-100 dark:hover:bg-neutral-800"
                  aria-current={f.path === current}
                  title={`${f.path} · ${formatBytes(f.size)}`}
                >
                  {f.path}
                </button>
                <button
                  type="button"
                  aria-label={`Rename ${f.path}`}
                  className="hidden rounded px-1 text-neutral-500 group-hover:block focus:block"
                  onClick={() => {
                    const to = window.prompt(`Rename ${f.path} to`, f.path);
                    if (to && to !== f.path) rename.mutate({ projectId, from: f.path, to });
                  }}
                >
                  ✎
                </button>
                <button
                  type="button"
                  aria-label={`Delete ${f.path}`}
                  className="hidden rounded px-1 text-red-600 group-hover:block focus:block"
                  onClick={() => {
                    if (window.confirm(`Delete ${f.path}? It will not be part of the next deploy.`)) remove.mutate({ projectId, path: f.path });
                  }}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
          <button
            type="button"
            onClick={() => void addFile()}
            className="mt-2 w-full rounded-md border border-dashed border-neutral-300 px-2 py-1 text-neutral-600 hover:bg-neutral-50 dark:border-neutral-700 dark:text-neutral-400"
          >
            + Add file
          </button>
          {(rename.error ?? remove.error) && (
            <p role="alert" className="mt-2 text-red-700">
              {(rename.error ?? remove.error)?.message}
            </p>
          )}
        </nav>

        <section
          aria-label="Editor"
          className="min-h-[24rem] overflow-hidden rounded-lg border border-neutral-200 bg-white dark:border-neutral-800 dark:bg-neutral-900"
        >
          {current === null && <p className="p-4 text-sm text-neutral-500">This site has no files yet.</p>}
          {current && isText && text.data && <CodeEditor key={current} path={current} value={text.data.text} onChange={edited} />}
          {current && !isText && IMAGE.test(current) && previewBase && (
            // eslint-disable-next-line @next/next/no-img-element
            <img src={`${previewBase}${encodePath(current)}`} alt={current} className="m-auto max-h-[28rem] max-w-full p-4" />
          )}
          {current && !isText && !(IMAGE.test(current) && previewBase) && (
            <p className="p-4 text-sm text-neutral-500">{current} is a binary file; it is deployed as it is.</p>
          )}
        </section>

        <section aria-label="Preview" className="overflow-hidden rounded-lg border border-neutral-200 bg-white dark:border-neutral-800">
          {previewBase ? (
            <iframe
              key={previewKey}
              title="Live preview"
              src={previewBase}
              sandbox="allow-scripts allow-forms"
              className="h-full min-h-[24rem] w-full bg-white"
            />
          ) : (
            <p role="note" className="p-4 text-sm text-neutral-600">
              The live preview is off on this server: its operator has not set a preview origin (PREVIEW_ORIGIN). Deploy the site to see it.
            </p>
          )}
        </section>
      </div>
    </div>
  );
}
