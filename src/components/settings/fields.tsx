'use client';
// Labelled inputs with their hint and error underneath, in the style of the sign-in form.
import { useEffect, useState } from 'react';

const inputClass =
  'block w-full rounded-md border border-neutral-300 bg-white px-3 py-2 text-sm shadow-xs focus-visible:border-accent focus-visible:outline-2 focus-visible:outline-accent aria-invalid:border-red-500 dark:border-neutral-700 dark:bg-neutral-950';

interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  optional?: boolean;
  children: (describedBy: string | undefined, invalid: true | undefined) => React.ReactNode;
}

function FieldShell({ id, label, hint, error, optional, children }: FieldProps) {
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
        {optional && <span className="ml-1 font-normal text-neutral-500">(optional)</span>}
      </label>
      {children(describedBy, error ? true : undefined)}
      {hint && (
        <p id={`${id}-hint`} className="text-xs text-neutral-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}

export function TextField(
  props: Omit<FieldProps, 'children'> & {
    value: string;
    onChange: (value: string) => void;
    secret?: boolean;
    mono?: boolean;
    placeholder?: string;
  },
) {
  return (
    <FieldShell {...props}>
      {(describedBy, invalid) => (
        <input
          id={props.id}
          type={props.secret ? 'password' : 'text'}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          placeholder={props.placeholder}
          // Credentials for a platform, not for this site: keep password managers and spell checkers out.
          autoComplete="off"
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          data-1p-ignore
          data-lpignore="true"
          aria-invalid={invalid}
          aria-describedby={describedBy}
          className={`${inputClass} ${props.secret || props.mono ? 'font-mono' : ''}`}
        />
      )}
    </FieldShell>
  );
}

export function SelectField(
  props: Omit<FieldProps, 'children'> & { value: string; onChange: (value: string) => void; options: readonly { value: string; label: string }[] },
) {
  return (
    <FieldShell {...props}>
      {(describedBy, invalid) => (
        <select
          id={props.id}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          className={inputClass}
        >
          {props.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}

/** "just now", "5 minutes ago", … refreshed every half minute; the exact time as a tooltip. */
export function RelativeTime({ date }: { date: Date }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()}>
      {relative(date.getTime() - now)}
    </time>
  );
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
function relative(ms: number): string {
  const s = Math.round(ms / 1000);
  if (Math.abs(s) < 45) return 'just now';
  const m = Math.round(s / 60);
  if (Math.abs(m) < 60) return rtf.format(m, 'minute');
  const h = Math.round(m / 60);
  if (Math.abs(h) < 24) return rtf.format(h, 'hour');
  return rtf.format(Math.round(h / 24), 'day');
}
