// Times on the operators' page, rendered on the server at request time (UTC, English).

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const dayFormat = new Intl.DateTimeFormat('en', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** "3 minutes ago", "in 2 hours", "just now". */
export function relativeTime(date: Date, now: Date): string {
  const s = Math.round((date.getTime() - now.getTime()) / 1000);
  if (Math.abs(s) < 45) return 'just now';
  const m = Math.round(s / 60);
  if (Math.abs(m) < 60) return rtf.format(m, 'minute');
  const h = Math.round(m / 60);
  if (Math.abs(h) < 48) return rtf.format(h, 'hour');
  return rtf.format(Math.round(h / 24), 'day');
}

/** "2025-05-12 14:03 UTC", for tooltips and `<time>`. */
export function exactTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `2025-05-12` → "12 May". */
export function shortDay(day: string): string {
  return dayFormat.format(new Date(`${day}T00:00:00Z`));
}

export function TimeAgo({ date, now }: { date: Date; now: Date }) {
  return (
    <time dateTime={date.toISOString()} title={exactTime(date)} className="tabular-nums">
      {relativeTime(date, now)}
    </time>
  );
}
