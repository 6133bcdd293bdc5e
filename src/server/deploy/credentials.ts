// The credentials an adapter works with, for one user's site on one platform in one mode: in the
// user's own account, their connection (opened from the vault, parsed by the adapter); for a quick
// deploy, the platform's system credentials.
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import { readConnectionCredentials } from '../connections/store';
import type { Db } from '../db/client';
import { adapterFor } from './adapters';

/** Whose credentials: a quick deploy needs no user (the shared account's), the user's own account does. */
export type CredentialsOwner =
  { platform: DeploymentPlatform; authMode: 'platform-managed' } | { platform: DeploymentPlatform; authMode: AuthMode; userId: string };

/**
 * The adapter's credentials for `owner`; null when quick deploy is not configured on this server. A
 * user without a connection to the platform gets the store's "not found".
 */
export async function credentialsFor(db: Db, owner: CredentialsOwner): Promise<unknown> {
  const adapter = adapterFor(owner.platform);
  if (owner.authMode === 'platform-managed') return adapter.platformCredentials();
  return adapter.parseCredentials(await readConnectionCredentials(db, owner.userId, owner.platform));
}
