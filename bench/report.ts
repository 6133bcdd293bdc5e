// What the run reports: each figure as a row beside its floor (printed as it is measured, and as a table at
// the end), the results written to bench/results/, and the server's CPU profiles.
import type { ProfileSummary } from './profile';

export interface Row {
  measure: string;
  figure: string;
  floor: string;
  ratio: string;
  note?: string;
}
export const rows: Row[] = [];
export const results: Record<string, unknown> = {};
export const row = (r: Row) => {
  rows.push(r);
  console.log(`  ${r.measure}: ${r.figure}  (floor ${r.floor}, ${r.ratio})${r.note ? ` — ${r.note}` : ''}`);
};

/** The server's CPU time during each profiled deploy: where it went (self time). */
export const profiles: Record<string, ProfileSummary> = {};
export function printProfiles() {
  for (const [name, p] of Object.entries(profiles)) {
    console.log(`\nServer CPU profile, ${name}: ${p.totalMs} ms sampled`);
    console.log(`  by place: ${p.byPlace.map((b) => `${b.place} ${b.share}%`).join(', ')}`);
    console.log(
      `  busiest:  ${p.topFunctions
        .slice(0, 8)
        .map((f) => `${f.fn} (${f.place}) ${f.ms} ms`)
        .join('; ')}`,
    );
  }
}

export function printTable(databaseNote: string) {
  const head: Row = { measure: 'Measure', figure: 'Figure', floor: 'Floor (same run)', ratio: 'Ratio', note: 'Note' };
  const all = [head, ...rows];
  const w = (k: keyof Row) => Math.max(...all.map((r) => (r[k] ?? '').length));
  console.log(`\nDatabase: ${databaseNote}\n`);
  const line = (r: Row) =>
    `| ${r.measure.padEnd(w('measure'))} | ${r.figure.padEnd(w('figure'))} | ${r.floor.padEnd(w('floor'))} | ${r.ratio.padEnd(w('ratio'))} | ${(r.note ?? '').padEnd(w('note'))} |`;
  console.log(line(head));
  console.log(`|${['measure', 'figure', 'floor', 'ratio', 'note'].map((k) => '-'.repeat(w(k as keyof Row) + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}
