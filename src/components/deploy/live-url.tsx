// The live URL of a finished deployment, the largest thing in the deploy modal: open it, copy it, and
// see until when a quick deploy keeps it.
import { useState } from 'react';

export function LiveUrl({ url, expiresAt }: { url: string; expiresAt: Date | null }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="space-y-2 rounded-lg border border-emerald-300 bg-emerald-50 p-4 dark:border-emerald-800 dark:bg-emerald-950">
      <a
        href={url}
        target="_blank"
        rel="noreferrer"
        className="block break-all text-lg font-semibold text-emerald-900 underline-offset-4 hover:underline dark:text-emerald-100"
        data-testid="live-url"
      >
        {url}
      </a>
      <div className="flex items-center gap-2">
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(url);
            setCopied(true);
          }}
          className="rounded-md border border-emerald-400 px-3 py-1 text-sm hover:bg-white focus-visible:outline-2 focus-visible:outline-accent dark:hover:bg-emerald-900"
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <a
          href={url}
          target="_blank"
          rel="noreferrer"
          className="rounded-md border border-emerald-400 px-3 py-1 text-sm hover:bg-white focus-visible:outline-2 focus-visible:outline-accent dark:hover:bg-emerald-900"
        >
          Open
        </a>
        {expiresAt && <span className="ml-auto text-xs text-emerald-900 dark:text-emerald-200">Live until {new Date(expiresAt).toLocaleDateString()}</span>}
      </div>
    </div>
  );
}
