'use client';
// "Run cleanup now": the lifecycle job on demand, its report in words, then the page's numbers
// are read again from the server.
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useTRPC, type RouterOutputs } from '@/trpc/react';

type Report = RouterOutputs['admin']['runCleanup'];

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function ReportText({ report }: { report: Report }) {
  const left = report.remaining.expired + report.remaining.reconciled;
  return (
    <div className="space-y-2">
      <p className="font-medium">Cleanup finished{report.failures.length ? ` with ${plural(report.failures.length, 'problem')}` : ''}.</p>
      <ul className="grid gap-x-6 gap-y-1 tabular-nums sm:grid-cols-2" aria-label="Cleanup report">
        <li>{plural(report.expired, 'expired site')} removed</li>
        <li>{plural(report.reconciled, 'stuck deployment')} settled</li>
        <li>{plural(report.orphansRemoved, 'orphaned resource')} removed</li>
        <li>{plural(report.heldReleased, 'unused file')} released</li>
      </ul>
      {left > 0 && (
        <p className="text-neutral-600 dark:text-neutral-400">
          Left for the next run: {plural(report.remaining.expired, 'expired site')}, {plural(report.remaining.reconciled, 'stuck deployment')}.
        </p>
      )}
      {report.failures.length > 0 && (
        <ul className="space-y-1 text-red-800 dark:text-red-300" aria-label="Cleanup problems">
          {report.failures.map((f, i) => (
            <li key={i}>
              <span className="font-medium">{f.action}</span> <code className="font-mono text-xs">{f.target}</code>: {f.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function RunCleanup() {
  const trpc = useTRPC();
  const router = useRouter();
  const cleanup = useMutation(trpc.admin.runCleanup.mutationOptions({ onSuccess: () => router.refresh() }));

  return (
    <div>
      <button
        type="button"
        onClick={() => cleanup.mutate()}
        disabled={cleanup.isPending}
        className="rounded-md bg-accent px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-accent-strong focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60"
      >
        {cleanup.isPending ? 'Running cleanup…' : 'Run cleanup now'}
      </button>
      <div role="status" aria-live="polite" className="mt-4 text-sm empty:hidden" data-testid="cleanup-result">
        {cleanup.isPending && <p className="text-neutral-600 dark:text-neutral-400">Removing expired sites and settling stuck deployments…</p>}
        {cleanup.isSuccess && (
          <div
            className={`rounded-md border p-3 ${cleanup.data.failures.length ? 'border-amber-300 bg-amber-50 dark:border-amber-900 dark:bg-amber-950' : 'border-emerald-300 bg-emerald-50 dark:border-emerald-900 dark:bg-emerald-950'}`}
          >
            <ReportText report={cleanup.data} />
          </div>
        )}
      </div>
      {cleanup.isError && (
        <div
          role="alert"
          className="mt-4 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200"
        >
          <p className="font-medium">The cleanup did not run to the end. Try again.</p>
          <p className="mt-1 text-xs">{cleanup.error.message}</p>
        </div>
      )}
    </div>
  );
}
