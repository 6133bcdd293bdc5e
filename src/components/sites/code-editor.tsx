'use client';
// CodeMirror 6 for text files: syntax by extension, the system's light or dark theme.
import { css } from '@codemirror/lang-css';
import { html } from '@codemirror/lang-html';
import { javascript } from '@codemirror/lang-javascript';
import { oneDark } from '@codemirror/theme-one-dark';
import { EditorView, basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';

function languageFor(path: string) {
  if (/\.html?$/i.test(path)) return [html()];
  if (/\.css$/i.test(path)) return [css()];
  if (/\.(m?js|jsx|ts|tsx|json)$/i.test(path)) return [javascript({ jsx: /x$/.test(path), typescript: /tsx?$/.test(path) })];
  return [];
}

export function CodeEditor({ path, value, onChange }: { path: string; value: string; onChange: (text: string) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const changed = useRef(onChange);
  useEffect(() => {
    changed.current = onChange;
  }, [onChange]);

  useEffect(() => {
    const dark = window.matchMedia?.('(prefers-color-scheme: dark)').matches;
    const view = new EditorView({
      doc: value,
      parent: host.current!,
      extensions: [
        basicSetup,
        ...languageFor(path),
        ...(dark ? [oneDark] : []),
        EditorView.updateListener.of((u) => u.docChanged && changed.current(u.state.doc.toString())),
        EditorView.contentAttributes.of({ 'aria-label': `Contents of ${path}` }),
      ],
    });
    return () => view.destroy();
    // A new editor per file; typing does not recreate it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path]);

  return <div ref={host} className="h-full overflow-auto text-sm [&_.cm-editor]:h-full" data-testid="code-editor" />;
}
