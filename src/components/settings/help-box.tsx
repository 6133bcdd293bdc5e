// The frame of a platform's help beside the connect form (each platform's help is in src/lib/platforms/<id>/help.tsx).
export const LOCAL_NOTE =
  process.env.NODE_ENV === 'development' ? (
    <p className="text-xs text-neutral-500">
      Trying it locally? Paste the <strong>user</strong> values of the local cloud (README, “The local cloud”).
    </p>
  ) : null;

export function HelpBox({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <aside
      aria-label={title}
      className="space-y-3 rounded-lg border border-neutral-200 bg-neutral-50 p-4 text-sm text-neutral-700 dark:border-neutral-800 dark:bg-neutral-900/60 dark:text-neutral-300"
    >
      <h3 className="font-medium text-neutral-900 dark:text-neutral-100">{title}</h3>
      {children}
    </aside>
  );
}

export const linkClass = 'font-medium text-accent underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-accent';
