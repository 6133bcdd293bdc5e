// Content scanning before anything is uploaded to a platform: HTML and JavaScript files are checked
// against the rules in scan-rules.json (miners, blocklisted script hosts, obfuscated eval, data: URL
// redirects) and for password forms that post to another site. A hit refuses the deployment, naming
// the rule and the file.
import { createHash } from 'node:crypto';
import type { Manifest } from '@/lib/site-files';
import { AppError } from '../errors';
import rules from './scan-rules.json';

const SCANNED = /\.(html?|m?js|xhtml)$/i;
/** Files larger than this are not scanned whole: minified bundles of that size are libraries. */
const MAX_SCAN_BYTES = 5 * 1024 * 1024;

const patterns = rules.patterns.map((r) => ({ ...r, re: new RegExp(r.regex, 'i') }));
const blockedHosts = new Set(rules.blockedScriptHosts);

/**
 * Which rules a blob was scanned under: the rules file and the matching code below (bump the number
 * when scanText changes). A blob that passed under this version is not read again.
 */
export const SCAN_VERSION = `2:${createHash('sha256').update(JSON.stringify(rules)).digest('hex').slice(0, 16)}`;

/** Where the scan reads bytes and remembers which blobs passed. */
export interface ScanStore {
  getMany(sha256s: string[]): Promise<Map<string, Buffer>>;
  /** Those of `sha256s` that already passed the scan under `version`. */
  passedScan(sha256s: string[], version: string): Promise<Set<string>>;
  markScanned(sha256s: string[], version: string): Promise<void>;
}

export interface ScanHit {
  rule: string;
  description: string;
  path: string;
}

function hostBlocked(url: string): boolean {
  let host: string;
  try {
    host = new URL(url, 'https://site.invalid/').hostname.toLowerCase();
  } catch {
    return false;
  }
  return [...blockedHosts].some((h) => host === h || host.endsWith(`.${h}`));
}

/** The first rule a file breaks, if any. */
export function scanText(path: string, text: string): ScanHit | null {
  for (const p of patterns) if (p.re.test(text)) return { rule: p.id, description: p.description, path };

  for (const m of text.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi))
    if (hostBlocked(m[1]!)) return { rule: 'blocked-script-host', description: `a script from a blocked host (${new URL(m[1]!, 'https://x/').hostname})`, path };
  for (const m of text.matchAll(/\.src\s*=\s*["']([^"']+)["']/g))
    if (hostBlocked(m[1]!)) return { rule: 'blocked-script-host', description: `a script from a blocked host (${new URL(m[1]!, 'https://x/').hostname})`, path };

  // A password field in a form whose action is an absolute URL: credentials leave the site.
  for (const form of text.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const action = /\baction\s*=\s*["']?\s*((?:https?:)?\/\/[^"'\s>]+)/i.exec(form[1]!)?.[1];
    if (action && /<input\b[^>]*\btype\s*=\s*["']?password/i.test(form[2]!))
      return { rule: 'credential-form-other-origin', description: `a password form that sends to ${new URL(action, 'https://x/').hostname}`, path };
  }
  return null;
}

/**
 * Scans the site's HTML and JavaScript not yet scanned under these rules; throws a 400 naming the
 * rule and the file at the first hit. A hit depends on the bytes only, so clean bytes are remembered.
 */
export async function scanSite(manifest: Manifest, store: ScanStore): Promise<void> {
  const candidates = Object.entries(manifest).filter(([path, entry]) => SCANNED.test(path) && entry.size <= MAX_SCAN_BYTES);
  const passed = await store.passedScan([...new Set(candidates.map(([, e]) => e.sha256))], SCAN_VERSION);
  const scanned = candidates.filter(([, e]) => !passed.has(e.sha256));
  // A batch at a time: thousands of pages cost a few reads, not one each.
  for (let i = 0; i < scanned.length; i += 200) {
    const batch = scanned.slice(i, i + 200);
    const bytes = await store.getMany(batch.map(([, e]) => e.sha256));
    for (const [path, entry] of batch) {
      const hit = scanText(path, bytes.get(entry.sha256)!.toString('utf8'));
      if (hit)
        throw new AppError(
          'BAD_REQUEST',
          `This site can't be deployed: ${hit.path} contains ${hit.description} (rule "${hit.rule}"). Remove it and deploy again.`,
        );
    }
    await store.markScanned([...new Set(batch.map(([, e]) => e.sha256))], SCAN_VERSION);
  }
}
