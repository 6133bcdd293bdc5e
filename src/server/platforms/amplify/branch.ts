// The branch step: one branch per site (`hs-…` in the shared app, named by id alone; `main` or the
// earlier one in an app of the user's), get-or-create, its host prefix set to its name when DNS-safe.
import type { Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import { shortId } from '../naming';
import { siteMarker } from './app';
import { derivedDisplayName } from './checks';
import type { AmplifyClient } from './client';
import type { AmplifyCheckpoint, Ctx } from './state';

/** Quick-deploy branches all start with this; the cleanup job only ever removes branches that do. */
export const PLATFORM_BRANCH_PREFIX = 'hs-';
const USER_BRANCH = 'main';

function branchNameFor(ctx: Ctx, done: Readonly<AmplifyCheckpoint>): string {
  if (done.branch) return done.branch;
  const earlier = ctx.target.externalId;
  if (ctx.mode === 'platform-managed') {
    // Only ever a branch of ours in the shared app, named by id alone: a user's words never become
    // part of the shared app's host names.
    if (earlier?.startsWith(PLATFORM_BRANCH_PREFIX)) return earlier;
    return `${PLATFORM_BRANCH_PREFIX}${shortId(ctx.siteId)}`;
  }
  return earlier || USER_BRANCH;
}

export async function ensureBranch(
  amplify: AmplifyClient,
  ctx: Ctx,
  { done, save }: Checkpointed<AmplifyCheckpoint>,
  appId: string,
): Promise<{ name: string; displayName: string }> {
  const name = branchNameFor(ctx, done);
  if (done.branch && done.displayName) return { name, displayName: done.displayName };
  await ctx.report('branch', 10, `Preparing branch ${name}`);
  const settings = {
    stage: 'PRODUCTION',
    // Set explicitly: the host prefix is then exactly the (DNS-safe) name rather than Amplify's derivation.
    ...(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name) ? { displayName: name } : {}),
    description: `Deployed by Huskit Sites (${siteMarker(ctx.siteId)})`,
  };
  // Named in the checkpoint before it exists, so the orphan cleanup never takes it for an orphan.
  if (!done.branch) await save({ branch: name });
  // A redeploy expects the branch to exist; a first deploy expects to create it. Both get-or-create.
  const branch =
    ctx.target.externalId === name
      ? await amplify.getBranch(appId, name).catch((err: unknown) => {
          if (err instanceof PlatformError && err.kind === 'not_found') return amplify.createBranch(appId, name, settings);
          throw err;
        })
      : await amplify.createBranch(appId, name, settings);
  const displayName = branch.displayName || derivedDisplayName(name);
  await save({ branch: name, displayName });
  return { name, displayName };
}
