// How the bench writes its figures (sizes, times, ratios to a floor) and the statistics it takes of them.

export const now = () => performance.now();
export const MB = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
export const KB = (n: number) => `${(n / 1e3).toFixed(1)} KB`;
export const ms = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);
export const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}×` : 'n/a');
export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};

export function sumValues(o: Record<string, number>) {
  return Object.values(o).reduce((a, b) => a + b, 0);
}
