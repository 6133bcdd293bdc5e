// Cross-site request refusal for mutations that ride on the session cookie. Browsers send Origin
// (and Sec-Fetch-Site) on every POST; a request from another site is refused. Clients that send
// neither (curl, servers) cannot carry a victim's cookie, so they pass.
import { getEnv } from '../env';

export function isCrossSiteRequest(headers: Headers): boolean {
  const fetchSite = headers.get('sec-fetch-site');
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') return true;

  const origin = headers.get('origin');
  if (origin === null) return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return true; // "null" and other opaque origins
  }
  const allowedHosts = [headers.get('x-forwarded-host'), headers.get('host')];
  const appUrl = getEnv().appUrl;
  if (appUrl) allowedHosts.push(new URL(appUrl).host);
  return !allowedHosts.some((h) => h && h.split(',')[0]!.trim() === originHost);
}
