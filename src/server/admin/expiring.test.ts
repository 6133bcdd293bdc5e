// The operators' "closest to expiry" list: only live quick-deploy sites, soonest first, with the owner.
import '@/testing/isolated-db';
import { beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '@/server/auth/accounts';
import { sites } from '@/server/db/schema';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { sitesClosestToExpiry } from './expiring';

const getDb = useTestDb();
const HOUR = 3600_000;

describe('sitesClosestToExpiry', () => {
  let email: string;
  beforeAll(async () => {
    const db = await getDb();
    email = uniqueEmail('expiring');
    const user = await signUp(db, { email, password: 'a long enough password' });
    const at = (h: number) => new Date(Date.now() + h * HOUR);
    const site = (chatId: string, extra: Partial<typeof sites.$inferInsert>) => ({
      userId: user.id,
      chatId,
      name: chatId,
      platform: 'cloudflare' as const,
      authMode: 'platform-managed' as const,
      status: 'active' as const,
      url: `https://${chatId}.example.test`,
      ...extra,
    });
    await db
      .insert(sites)
      .values([
        site('later', { expiresAt: at(48) }),
        site('soon', { expiresAt: at(2), platform: 'amplify' }),
        site('overdue', { expiresAt: at(-1) }),
        site('gone', { expiresAt: at(1), status: 'expired' }),
        site('own-account', { expiresAt: at(1), authMode: 'user-token' }),
        site('no-expiry', { expiresAt: null }),
      ]);
  });

  it('lists active platform-managed sites by expiry time, with the owner email', async () => {
    const rows = await sitesClosestToExpiry(await getDb(), 10);
    expect(rows.map((r) => r.name)).toEqual(['overdue', 'soon', 'later']);
    expect(rows[1]).toMatchObject({ platform: 'amplify', email, url: 'https://soon.example.test' });
    expect(rows[1]!.expiresAt).toBeInstanceOf(Date);
  });

  it('honours the limit', async () => {
    expect((await sitesClosestToExpiry(await getDb(), 1)).map((r) => r.name)).toEqual(['overdue']);
  });
});
