// A hit is thrown from deep in the checks and caught once per file, where it becomes the reported ScanHit.
import rules from '../scan-rules.json';
import type { ScanRule } from './rules';

export interface ScanHit {
  rule: ScanRule;
  description: string;
  path: string;
}

export class Hit extends Error {
  constructor(
    readonly rule: ScanRule,
    readonly detail?: string,
  ) {
    super(rule);
  }
}

export const hit = (rule: ScanRule, detail?: string): never => {
  throw new Hit(rule, detail);
};

/** A file's first hit as the scan reports it. */
export function hitIn(path: string, e: Hit): ScanHit {
  return { rule: e.rule, description: rules.rules[e.rule] + (e.detail ? ` (${e.detail})` : ''), path };
}
