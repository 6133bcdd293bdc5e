// Deploying a site the way the product does, for tests: files become the user's blobs, a deployment
// is created, and a runner drives it to the end. The deployments made here start no runner of their
// own (the product's creation enqueues one): the test drives them, or stages a runner that died. Each
// helper takes the settings of what it creates and drives (`{ settings }`: limits, runner, retries,
// polling); without them, this process's.
import { eq } from 'drizzle-orm';
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import type { Db } from '@/server/db/client';
import { deployments } from '@/server/db/schema';
import { BlobStore } from '@/server/deploy/blob-store';
import { decodeInlineFiles, storeInlineFiles, type InlineFiles } from '@/server/deploy/files';
import * as manage from '@/server/deploy/manage';
import { driveDeployment } from '@/server/deploy/runner';
import * as service from '@/server/deploy/service';
import type { DeploySettings } from '@/server/deploy/settings';
import { cloudStats, fetchSite, hostOf, type CloudStats } from './cloud';

export interface TestDeployOptions {
  settings?: DeploySettings;
}

/** Nothing is started: the test drives the deployment itself (`driveDeployment`) or leaves it unworked. */
const byHand = ({ settings }: TestDeployOptions): service.CreateOptions => ({ enqueue: () => {}, settings });

/** `createDeployment` of the service, without a runner: as if its process had not started one yet. */
export const createDeployment = (db: Db, input: service.CreateDeploymentInput, options: TestDeployOptions = {}) =>
  service.createDeployment(db, input, byHand(options));

/** `rollback` of the service, without a runner. */
export const rollback = (db: Db, userId: string, id: string, options: TestDeployOptions = {}) => manage.rollback(db, userId, id, byHand(options));

export async function deployFiles(
  db: Db,
  input: { userId: string; chatId: string; platform: DeploymentPlatform; authMode: AuthMode; files: InlineFiles; siteName?: string },
  { settings }: TestDeployOptions = {},
) {
  const { proposed, bytes } = decodeInlineFiles(input.files);
  await storeInlineFiles(new BlobStore(db), input.userId, bytes);
  const { deploymentId } = await createDeployment(db, { ...input, manifest: proposed }, { settings });
  await driveDeployment(db, deploymentId, { settings });
  const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
  return row!;
}

/**
 * Two quick deploys of one site ("one", then "two" in its index.html), then a rollback to the first,
 * driven to its end; with the local cloud's stats just before and after the rollback.
 */
export async function deployTwiceThenRollback(
  db: Db,
  cloudUrl: string,
  input: { userId: string; chatId: string; platform: DeploymentPlatform },
  { settings }: TestDeployOptions = {},
): Promise<{ v1: DeploymentRow; v2: DeploymentRow; row: DeploymentRow; before: CloudStats; after: CloudStats }> {
  const site = { ...input, authMode: 'platform-managed' as const };
  const v1 = await deployFiles(db, { ...site, files: { 'index.html': `<h1>one ${input.chatId}</h1>` } }, { settings });
  const v2 = await deployFiles(db, { ...site, files: { 'index.html': `<h1>two ${input.chatId}</h1>` } }, { settings });
  const served = (await fetchSite(cloudUrl, hostOf(v1.url!), '/')).body.toString();
  if (served !== `<h1>two ${input.chatId}</h1>`) throw new Error(`before the rollback the site should serve "two", not ${served}`);
  const before = await cloudStats(cloudUrl);
  const { deploymentId } = await rollback(db, input.userId, v1.id, { settings });
  await driveDeployment(db, deploymentId, { settings });
  const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
  return { v1, v2, row: row!, before, after: await cloudStats(cloudUrl) };
}

type DeploymentRow = typeof deployments.$inferSelect;
