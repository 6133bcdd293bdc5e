// Connecting platform accounts through the tRPC procedures: verified against the local cloud before
// anything is stored; refused credentials and unsafe input store nothing.
import { useLocalCloud } from '@/testing/local-cloud';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { LOCAL_CLOUDFLARE } from '@/lib/platforms/cloudflare/local';
import { LOCAL_AWS } from '@/lib/platforms/amplify/local';
import { LOCAL_NETLIFY } from '@/lib/platforms/netlify/local';
import { LOCAL_VERCEL } from '@/lib/platforms/vercel/local';
import { LOCAL_VERCEL_USER_TEAM } from '@/emulator/vercel/config';
import { createCaller } from '@/server/api/root';
import { signUp, type SessionUser } from '@/server/auth/accounts';
import { connections } from '@/server/db/schema';
import { cloudStats, requestCount } from '@/testing/cloud';
import { useTestDb, uniqueEmail } from '@/testing/db';

const cloud = useLocalCloud();
const getDb = useTestDb();
let user: SessionUser;
beforeAll(async () => {
  user = await signUp(await getDb(), { email: uniqueEmail('connect'), password: 'a long enough password' });
});
const trpc = async () => createCaller({ db: await getDb(), user });
const stored = async () => (await (await getDb()).select().from(connections).where(eq(connections.userId, user.id))).length;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: TRPCError) => ({ code: e.code, message: e.message }),
  );

describe('connecting accounts', () => {
  it('Cloudflare: verified (token + account + workers.dev subdomain), then stored with a masked hint', async () => {
    const saved = await (
      await trpc()
    ).connections.save({ platform: 'cloudflare', apiToken: LOCAL_CLOUDFLARE.userToken, accountId: LOCAL_CLOUDFLARE.userAccountId });
    expect(saved).toMatchObject({
      platform: 'cloudflare',
      secretHint: `…${LOCAL_CLOUDFLARE.userToken.slice(-4)}`,
      accountFacts: { accountId: LOCAL_CLOUDFLARE.userAccountId, accountName: LOCAL_CLOUDFLARE.userAccountName, subdomain: LOCAL_CLOUDFLARE.userSubdomain },
      verifiedAt: expect.any(Date),
    });
    const tested = await (await trpc()).connections.test({ id: saved.id });
    expect(tested.verifiedAt!.getTime()).toBeGreaterThanOrEqual(saved.verifiedAt!.getTime());
  });

  it('Amplify: a signed read with the keys, then stored; the region comes from the list', async () => {
    const saved = await (await trpc()).connections.save({ platform: 'amplify', ...LOCAL_AWS.user, region: 'us-east-1', appId: '' });
    expect(saved).toMatchObject({ platform: 'amplify', secretHint: `…${LOCAL_AWS.user.accessKeyId.slice(-4)}`, accountFacts: { region: 'us-east-1' } });
    expect(JSON.stringify(saved)).not.toContain(LOCAL_AWS.user.secretAccessKey);
  });

  it('Netlify: the token reads the user, then is stored masked; the facts name the account, never the token', async () => {
    const saved = await (await trpc()).connections.save({ platform: 'netlify', token: LOCAL_NETLIFY.userToken });
    expect(saved).toMatchObject({
      platform: 'netlify',
      secretHint: `…${LOCAL_NETLIFY.userToken.slice(-4)}`,
      accountFacts: { accountSlug: LOCAL_NETLIFY.userAccountSlug },
    });
    expect(JSON.stringify(saved)).not.toContain(LOCAL_NETLIFY.userToken);
  });

  it('Vercel: the token reads the user (and the team when one is given), then is stored masked', async () => {
    const saved = await (await trpc()).connections.save({ platform: 'vercel', token: LOCAL_VERCEL.userToken, teamId: LOCAL_VERCEL_USER_TEAM.id });
    expect(saved).toMatchObject({
      platform: 'vercel',
      secretHint: `…${LOCAL_VERCEL.userToken.slice(-4)}`,
      accountFacts: { teamId: LOCAL_VERCEL_USER_TEAM.id },
    });
    expect(JSON.stringify(saved)).not.toContain(LOCAL_VERCEL.userToken);
    // A team the token does not belong to is refused by Vercel; the earlier connection stays.
    expect(
      await failure((await trpc()).connections.save({ platform: 'vercel', token: LOCAL_VERCEL.userToken, teamId: LOCAL_VERCEL.platformTeamId })),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/refused/),
    });
    const [row] = await (await getDb()).select().from(connections).where(eq(connections.id, saved.id));
    expect(row!.accountFacts).toMatchObject({ teamId: LOCAL_VERCEL_USER_TEAM.id });
  });

  it('refuses credentials the platform refuses, storing nothing', async () => {
    const other = await signUp(await getDb(), { email: uniqueEmail('refused'), password: 'a long enough password' });
    const caller = createCaller({ db: await getDb(), user: other });
    expect(
      await failure(
        caller.connections.save({ platform: 'cloudflare', apiToken: 'a-token-cloudflare-never-issued-0000', accountId: LOCAL_CLOUDFLARE.userAccountId }),
      ),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/refused/),
    });
    expect(
      await failure(
        caller.connections.save({ platform: 'amplify', accessKeyId: LOCAL_AWS.user.accessKeyId, secretAccessKey: 'w'.repeat(40), region: 'us-east-1' }),
      ),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/refused/),
    });
    expect(await failure(caller.connections.save({ platform: 'netlify', token: 'a-netlify-token-never-issued-000000000000' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/refused/),
    });
    expect(await failure(caller.connections.save({ platform: 'vercel', token: 'avercelTokenNeverIssued00000' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/refused/),
    });
    expect((await (await getDb()).select().from(connections).where(eq(connections.userId, other.id))).length).toBe(0);
  });

  it('refuses an unsafe region or account id before any request', async () => {
    const before = requestCount(await cloudStats(cloud().url), '');
    const caller = await trpc();
    const count = await stored();
    expect(await failure(caller.connections.save({ platform: 'amplify', ...LOCAL_AWS.user, region: 'us-east-1.evil.example' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/Pick a region from the list/),
    });
    expect(
      await failure(caller.connections.save({ platform: 'cloudflare', apiToken: LOCAL_CLOUDFLARE.userToken, accountId: '../../user/tokens' })),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/32 hexadecimal characters/),
    });
    expect(await failure(caller.connections.save({ platform: 'vercel', token: LOCAL_VERCEL.userToken, teamId: 'team_x/../../v2/user' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/team_/),
    });
    expect(requestCount(await cloudStats(cloud().url), '')).toBe(before);
    expect(await stored()).toBe(count);
  });
});
