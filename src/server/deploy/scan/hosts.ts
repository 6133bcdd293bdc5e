// Hosts and URLs as a browser reads them, so a blocklisted host is found however it is written.
import { domainToASCII } from 'node:url';
import rules from '../scan-rules.json';

export const SITE = 'https://site.invalid/';
export const SITE_HOST = 'site.invalid';

/** A host as its DNS name: lowercase ASCII (punycode), no userinfo, port or trailing dot. */
export function normalizeHost(authority: string): string {
  const raw = authority.replace(/[\t\n\r]/g, '');
  let host: string;
  try {
    host = new URL(`https://${raw}/`).hostname;
  } catch {
    host = domainToASCII(raw.slice(raw.lastIndexOf('@') + 1).replace(/:\d*$/, '')) || raw.toLowerCase();
  }
  return host.replace(/^\[|\]$/g, '').replace(/\.+$/, '');
}

const BLOCKED = rules.blockedHosts.map(normalizeHost);
export const blockedHost = (host: string) => BLOCKED.find((b) => host === b || host.endsWith(`.${b}`));

/** The host an attribute URL loads from (resolved as the browser would), or null. */
export function urlHost(value: string, base: string): string | null {
  try {
    const u = new URL(value, base);
    return /^(?:https?|wss?|ftp):$/.test(u.protocol) ? u.hostname.replace(/\.+$/, '') : null;
  } catch {
    return null;
  }
}

/** A URL as a browser reads its scheme: leading controls/spaces dropped, tabs and newlines removed. */
export const cleanUrl = (value: string) => value.replace(/^[\u0000-\u0020]+/, '').replace(/[\t\n\r]/g, '');
export const schemeOf = (value: string) => /^([a-z][a-z0-9+.-]*):/i.exec(cleanUrl(value))?.[1]?.toLowerCase();
