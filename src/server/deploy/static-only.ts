// Quick deploys go into our shared platform accounts, where anything that runs server code or proxies
// to other sites could get the account suspended (and quick deploy with it, for everyone). So before
// anything is stored, a quick deploy's files are held to "static files only": each platform's folder
// says what it runs or reads as configuration (static-files.ts), `_redirects` is read here for every
// platform that applies it. In the user's own account nothing is refused: the log says what the
// platform will do with each such file.
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import type { Manifest } from '@/lib/site-files';
import type { ServerSideFile, StaticFilesRules } from '../platforms/adapter';
import { platformInfo } from '@/lib/platforms';
import { SERVER_PLATFORMS } from '../platforms/registry';
import { offSiteProblem, offSiteRules } from '../platforms/routing-files';
import { AppError } from '../errors';

export interface StaticOnlyInput {
  platform: DeploymentPlatform;
  mode: AuthMode;
  /** Already validated paths. */
  manifest: Manifest;
  /** The stored bytes of a file of the manifest, as UTF-8. */
  readText(path: string): Promise<string>;
}

export interface StaticOnlyResult {
  /** What will be deployed: without the files a platform's own tooling never uploads (its `dropIgnored`). */
  manifest: Manifest;
  /** Lines for the deployment log. */
  notes: string[];
}

/** Problems named in one refusal, and lines of the log given to such files. */
const MAX_LISTED = 5;
const MAX_NOTES = 30;

export async function checkStaticOnly(input: StaticOnlyInput): Promise<StaticOnlyResult> {
  const rules: StaticFilesRules = SERVER_PLATFORMS[input.platform].staticFiles;
  const dropped = rules.dropIgnored ? await rules.dropIgnored(input.manifest, input.readText) : { manifest: input.manifest, notes: [] };
  const { manifest } = dropped;
  const found = [...(await rules.serverSideFiles(manifest, input.readText))];
  if (rules.redirectsProxy !== null && manifest._redirects) found.push(...redirectFindings(await input.readText('_redirects'), rules.redirectsProxy));

  if (input.mode === 'platform-managed') {
    const refused = found.filter((f) => f.refused);
    if (refused.length > 0) throw refusal(input.platform, refused);
  }
  const lines = found.map((f) => `${f.where}: ${f.effect}.`);
  const notes = [...dropped.notes, ...lines.slice(0, MAX_NOTES)];
  if (lines.length > MAX_NOTES) notes.push(`…and ${lines.length - MAX_NOTES} more files of the same kinds.`);
  return { manifest, notes };
}

/** Rules that leave the site: refused in a quick deploy unless they are plain 301/302 redirects to https. */
function redirectFindings(text: string, proxyEffect: string): ServerSideFile[] {
  const findings: ServerSideFile[] = [];
  for (const rule of offSiteRules(text)) {
    const problem = offSiteProblem(rule);
    if (!problem) continue;
    const where = `_redirects line ${rule.line} ("${rule.text}")`;
    findings.push({ where, effect: rule.statuses.includes(200) ? `${problem}: ${proxyEffect}` : problem, refused: true });
  }
  return findings;
}

function refusal(platform: DeploymentPlatform, refused: ServerSideFile[]): AppError {
  const listed = refused.slice(0, MAX_LISTED).map((f) => `${f.where.startsWith('_redirects line') ? f.where : `"${f.where}"`}: ${f.effect}`);
  const more = refused.length > MAX_LISTED ? `; and ${refused.length - MAX_LISTED} more` : '';
  const them = refused.length === 1 ? 'it' : 'them';
  return new AppError(
    'BAD_REQUEST',
    `Quick deploys take static files only, and this site has server code, platform configuration or rules that leave the site: ${listed.join('; ')}${more}. Remove ${them}, or deploy to your own ${platformInfo(platform).label} account (connect it in Settings).`,
  ).withAction('fix-files');
}
