// The scan on arrival under the built app (`next start`): negotiate (the tRPC route) and the blob upload
// (its own route) are separate route bundles, and the upload must still find what negotiate expects.
// Proven by the pack's scan row: its pass is there before anything calls create.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';

const PASSWORD = 'correct horse battery staple';

/** One value from the database the server uses (the browser tests run with DATABASE_URL). */
function queryOne(sql: string): string {
  if (!process.env.DATABASE_URL) throw new Error('The browser tests need DATABASE_URL; see README "Test it".');
  return execFileSync('psql', [process.env.DATABASE_URL, '-Atc', sql], { encoding: 'utf8' }).trim();
}

test("a quick deploy's page is scanned as it uploads, before create, and nothing is deployed", async ({ request, baseURL }) => {
  const origin = { origin: baseURL! };
  const email = `arrival-${randomBytes(4).toString('hex')}@huskit.test`;
  expect((await request.post('/api/auth/sign-up', { data: { email, password: PASSWORD }, headers: origin })).status()).toBe(201);

  const page = Buffer.from(`<!doctype html><title>Arrival</title><p>${randomBytes(8).toString('hex')}</p>`);
  const sha256 = createHash('sha256').update(page).digest('hex');
  const negotiated = await request.post('/api/trpc/files.negotiate', {
    headers: origin,
    data: {
      json: {
        platform: 'cloudflare',
        authMode: 'platform-managed',
        chatId: `chat-${randomBytes(4).toString('hex')}`,
        manifest: { 'index.html': { sha256, size: page.length } },
      },
    },
  });
  expect(negotiated.status()).toBe(200);
  expect(((await negotiated.json()) as { result: { data: { json: { missing: string[] } } } }).result.data.json.missing).toEqual([sha256]);

  const uploaded = await request.post('/api/blobs', {
    headers: origin,
    multipart: { [sha256]: { name: sha256, mimeType: 'application/octet-stream', buffer: page } },
  });
  expect(uploaded.status()).toBe(201);

  // The scan runs after the upload answered, in the server: its pass lands beside the user's pack (the
  // file is its only entry, bit 0).
  await expect
    .poll(() =>
      queryOne(
        `select coalesce(string_agg(s.mark, ','), '') from pack_scans s join packs p on p.id = s.pack join users u on u.id = p.user_id where u.email = '${email}' and s.passed::text = '1'`,
      ),
    )
    .toMatch(/\/markup\+html$/);
  const userId = queryOne(`select id from users where email = '${email}'`);
  expect(queryOne(`select count(*) from deployments where user_id = '${userId}'`)).toBe('0');
});
