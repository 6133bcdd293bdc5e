import { expect, test, type APIRequestContext, type APIResponse } from '@playwright/test';
import { grantAdminByCli } from './grant-admin';

const PASSWORD = 'correct horse battery staple';
const newEmail = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@huskit.test`;

test('sign up → dashboard → reload stays signed in → sign out → sign in again', async ({ page }) => {
  const email = newEmail('e2e');
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { name: 'Deployments', exact: true })).toBeVisible();
  await expect(page.getByText('No deployments yet')).toBeVisible();
  await expect(page.getByTestId('signed-in-email')).toHaveText(email);
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ['Dashboard', 'Sites', 'Settings']) await expect(nav.getByRole('link', { name, exact: true })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Admin' })).toHaveCount(0);

  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'huskit_session');
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe('Lax');

  await page.reload();
  await expect(page.getByTestId('signed-in-email')).toHaveText(email);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/sign-in$/);

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: /email or password is not right/ })).toBeVisible();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
});

test('field errors are shown next to the fields', async ({ page }) => {
  await page.goto('/sign-up');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Enter a valid email address, like you@example.com.')).toBeVisible();
  await expect(page.getByText('Use at least 10 characters for your password.')).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/sign-up$/);
});

test.describe('before JavaScript loads', () => {
  test.use({ javaScriptEnabled: false });

  test('the sign-up and sign-out forms still work', async ({ page }) => {
    await page.goto('/sign-up');
    await page.getByLabel('Email').fill('still-bad');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByText('Enter a valid email address, like you@example.com.')).toBeVisible();

    const email = newEmail('nojs');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByTestId('signed-in-email')).toHaveText(email);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  });
});

test('an operator made admin by `npm run admin -- grant` sees the Admin page; other users get 404 there', async ({ page, request }) => {
  const email = newEmail('operator');
  expect((await request.post('/api/auth/sign-up', { data: { email, password: PASSWORD } })).status()).toBe(201);
  // Signing up granted nothing: no Admin link, 404 at /admin.
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })).toHaveCount(0);
  expect((await page.goto('/admin'))?.status()).toBe(404);

  // The operator's command grants the role; the next request sees it (no new sign-in needed).
  expect(grantAdminByCli(email)).toBe(`${email} is now an admin.\n`);
  await page.goto('/dashboard');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Admin', exact: true })).toBeVisible();
  await expect(page.getByText('Users', { exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto('/sign-up');
  await page.getByLabel('Email').fill(newEmail('plain'));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  const response = await page.goto('/admin');
  expect(response?.status()).toBe(404);
});

test('an API key created in Settings with chosen scopes and expiry is shown once, works within its scopes, shows its last use', async ({
  page,
  playwright,
  baseURL,
}) => {
  await page.goto('/sign-up');
  const email = newEmail('keys');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();

  // Both scopes and 90 days are preselected; this key only reads status, for 30 days.
  await expect(page.getByRole('checkbox', { name: 'Deploy' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Read status' })).toBeChecked();
  await expect(page.getByLabel('Expires after')).toHaveValue('90');
  await page.getByLabel('Key name').fill('Status monitor');
  await page.getByRole('checkbox', { name: 'Deploy' }).uncheck();
  await page.getByLabel('Expires after').selectOption('30');
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = (await page.getByTestId('new-api-key').textContent())!.trim();
  expect(key).toMatch(/^hs_/);
  const list = page.getByRole('list', { name: 'Your API keys' });
  const row = list.getByRole('listitem').filter({ hasText: 'Status monitor' });
  await expect(row).toContainText('Read status');
  await expect(row).not.toContainText('Deploy');
  await expect(row).toContainText('expires');
  await expect(row).toContainText('never used');

  // No scope at all is refused next to the form.
  await page.getByLabel('Key name').fill('Nothing');
  await page.getByRole('checkbox', { name: 'Read status' }).uncheck();
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByRole('region', { name: 'API keys' }).getByRole('alert')).toContainText('Choose at least one thing the key may do.');

  const api = await playwright.request.newContext({ baseURL });
  const auth = { authorization: `Bearer ${key}` };
  const me = await api.get('/api/me', { headers: auth });
  expect(me.status()).toBe(200);
  expect((await me.json()).user.email).toBe(email);
  // Outside its scope: no deploying, and never key management (a session is needed for that).
  const deploy = await api.post('/api/cloudflare-deploy', {
    headers: auth,
    data: { authMode: 'platform-managed', projectName: 'x', chatId: 'x', files: { 'index.html': 'x' } },
  });
  expect(deploy.status()).toBe(403);
  expect((await deploy.json()).error.message).toContain('lacks the "deploy" scope');
  const mint = await api.post('/api/trpc/apiKeys.create', { headers: auth, data: { json: { name: 'minted' } } });
  expect(mint.status()).toBe(403);

  await page.reload();
  await expect(row).toContainText('last used');

  page.once('dialog', (dialog) => void dialog.accept());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByText('No API keys yet.')).toBeVisible();
  expect((await api.get('/api/me', { headers: auth })).status()).toBe(401);
  await api.dispose();
});

test.describe('server actions refuse cross-site posts (login CSRF)', () => {
  /** The hidden fields of the page's form, as a browser would send them (the action's id among them). */
  async function formFields(api: APIRequestContext, path: string): Promise<Record<string, string>> {
    const html = await (await api.get(path)).text();
    const fields: Record<string, string> = {};
    for (const tag of html.match(/<input\b[^>]*>/g) ?? []) {
      const attr = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
      const name = attr('name');
      if (attr('type') === 'hidden' && name?.startsWith('$ACTION')) fields[name] = decodeEntities(attr('value') ?? '');
    }
    expect(Object.keys(fields).length, `no server action form on ${path}`).toBeGreaterThan(0);
    return fields;
  }
  const decodeEntities = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&#x27;|&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const sessionCookie = (res: APIResponse) => res.headersArray().find((h) => h.name.toLowerCase() === 'set-cookie' && h.value.startsWith('huskit_session='));

  test('the sign-in action sets no session for Origin: null, a foreign Origin or a cross-site fetch; the same post from the app signs in', async ({
    playwright,
    baseURL,
  }) => {
    const email = newEmail('csrf');
    const setup = await playwright.request.newContext({ baseURL });
    expect((await setup.post('/api/auth/sign-up', { data: { email, password: PASSWORD } })).status()).toBe(201);
    await setup.dispose();

    const post = async (headers: Record<string, string>) => {
      const api = await playwright.request.newContext({ baseURL });
      const fields = await formFields(api, '/sign-in');
      const res = await api.post('/sign-in', { headers, multipart: { ...fields, email, password: PASSWORD }, maxRedirects: 0 });
      const me = await api.get('/api/me');
      const answer = { status: res.status(), cookie: sessionCookie(res), body: await res.text(), meStatus: me.status() };
      await api.dispose();
      return answer;
    };

    // Refused by Next.js itself (Origin does not match Host) and by ours: no cookie, no session.
    for (const origin of ['null', 'https://evil.example']) {
      const refused = await post({ origin });
      expect(refused.status, origin).toBeGreaterThanOrEqual(400);
      expect(refused.cookie, origin).toBeUndefined();
      expect(refused.meStatus, origin).toBe(401);
    }
    // Passes Next's Origin check, refused by ours (a browser says the post came from another site).
    const crossSite = await post({ origin: baseURL!, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.cookie).toBeUndefined();
    expect(crossSite.meStatus).toBe(401);
    expect(crossSite.body).toContain('This form was sent from another site, so it was refused.');

    // The very same post from the app's own page signs in: the refusals above are the headers' doing.
    const ok = await post({ origin: baseURL!, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(303);
    expect(ok.cookie).toBeDefined();
    expect(ok.meStatus).toBe(200);
  });

  test('the sign-out action does nothing for a cross-site post; from the app it ends the session for good', async ({ playwright, baseURL }) => {
    const api = await playwright.request.newContext({ baseURL });
    const signUp = await api.post('/api/auth/sign-up', { data: { email: newEmail('csrf-out'), password: PASSWORD } });
    expect(signUp.status()).toBe(201);
    const cookie = sessionCookie(signUp)!.value.split(';')[0]!;
    const fields = await formFields(api, '/dashboard');
    const crossSite: Record<string, string>[] = [{ origin: 'null' }, { origin: 'https://evil.example' }, { origin: baseURL!, 'sec-fetch-site': 'cross-site' }];
    for (const headers of crossSite) {
      await api.post('/dashboard', { headers, multipart: fields, maxRedirects: 0 });
      expect((await api.get('/api/me')).status(), JSON.stringify(headers)).toBe(200);
    }
    const out = await api.post('/dashboard', { headers: { origin: baseURL! }, multipart: fields, maxRedirects: 0 });
    expect(out.status()).toBe(303);
    expect((await api.get('/api/me')).status()).toBe(401);
    // The old cookie, replayed by hand, is refused: the session ended on the server.
    const replay = await playwright.request.newContext({ baseURL });
    expect((await replay.get('/api/me', { headers: { cookie } })).status()).toBe(401);
    await replay.dispose();
    await api.dispose();
  });
});
