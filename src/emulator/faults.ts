// Misbehaviour on purpose: rules that make matching requests answer 429/5xx, wait, or lose their
// connection, either with a seeded (repeatable) probability or for the next N matching calls.
import type { FaultTarget } from './router';

export interface FaultRule {
  id?: string;
  /** Which surface: a platform's API, the S3-style upload URLs or the served sites. */
  target?: FaultTarget;
  method?: string;
  /** A substring of the route name, e.g. "/workers/assets/upload" or "/deployments/start". */
  route?: string;
  /** `drop`: the connection is cut before handling; `drop-after`: handled, then the answer is lost. */
  kind: 'status' | 'delay' | 'drop' | 'drop-after';
  /** For kind "status": 429, 500, 502, 503 or 524. */
  status?: number;
  /** Seconds sent as Retry-After with a 429. */
  retryAfter?: number;
  /** For kind "delay": how long to wait before handling normally. */
  delayMs?: number;
  /** Fire with this probability (0..1), drawn from the seeded generator... */
  probability?: number;
  /** ...or on the next `count` matching calls. */
  count?: number;
}

export interface FaultSettings {
  seed?: number;
  rules: FaultRule[];
}

export type FiredFault = Required<Pick<FaultRule, 'id' | 'kind'>> & FaultRule;

/** mulberry32: small, fast and deterministic for a given seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private rules: (FiredFault & { remaining?: number })[] = [];
  private random = seededRandom(1);
  readonly fired = new Map<string, number>();

  set(settings: FaultSettings): void {
    this.random = seededRandom(settings.seed ?? 1);
    this.rules = settings.rules.map((rule, i) => ({ ...rule, id: rule.id ?? `rule-${i + 1}`, remaining: rule.count }));
    this.fired.clear();
  }

  clear(): void {
    this.set({ rules: [] });
  }

  list(): FaultRule[] {
    return this.rules.map(({ remaining, ...rule }) => ({ ...rule, ...(remaining !== undefined ? { count: remaining } : {}) }));
  }

  /** The first rule that fires for this request, if any. Each matching rule draws once. */
  pick(target: FaultTarget, method: string, routeName: string): FiredFault | undefined {
    for (const rule of this.rules) {
      if (rule.target && rule.target !== target) continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.route && !routeName.includes(rule.route)) continue;
      let fires: boolean;
      if (rule.remaining !== undefined) {
        fires = rule.remaining > 0;
        if (fires) rule.remaining--;
      } else {
        fires = this.random() < (rule.probability ?? 1);
      }
      if (fires) {
        this.fired.set(rule.id, (this.fired.get(rule.id) ?? 0) + 1);
        return rule;
      }
    }
    return undefined;
  }
}
