// Settings in a real browser against the local cloud: a refused token stores nothing, the documented
// local credentials connect, test and disconnect, the tabs work from the keyboard alone; changing the
// password and "Sign out everywhere" end the other browsers' sessions.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { LOCAL_AWS } from '../src/lib/platforms/amplify/local';
import { LOCAL_CLOUDFLARE } from '../src/lib/platforms/cloudflare/local';
import { LOCAL_NETLIFY } from '../src/lib/platforms/netlify/local';
import { LOCAL_VERCEL } from '../src/lib/platforms/vercel/local';

const PASSWORD = 'correct horse battery staple';
const newEmail = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@huskit.test`;

/** A fresh account; the page's context holds its session cookie. */
async function signUp(request: APIRequestContext, label: string): Promise<string> {
  const email = newEmail(label);
  const res = await request.post('/api/auth/sign-up', { data: { email, password: PASSWORD } });
  expect(res.status()).toBe(201);
  return email;
}

async function openSettings(page: Page) {
  await page.goto('/settings');
  await expect(page.getByRole('heading', { name: 'Platform accounts' })).toBeVisible();
}

test('Cloudflare: a refused token stores nothing; the local token connects, tests and disconnects', async ({ page }) => {
  await signUp(page.request, 'cf-settings');
  await openSettings(page);
  const tab = page.getByRole('tab', { name: /Cloudflare/ });
  await expect(tab).toHaveAttribute('aria-selected', 'true');
  const panel = page.getByRole('tabpanel', { name: /Cloudflare/ });
  await expect(panel.getByText('Workers Scripts: Edit', { exact: true })).toBeVisible();
  await expect(panel.getByText('Account Settings: Read', { exact: true })).toBeVisible();
  const token = panel.getByLabel('API token');
  const accountId = panel.getByLabel('Account ID');
  await expect(token).toHaveAttribute('type', 'password');

  // A malformed account id is caught next to its field, before anything is sent.
  await token.fill('wrong-token-000000000000000000000000');
  await accountId.fill('not-an-account');
  await panel.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(panel.getByText('The account id is 32 hexadecimal characters')).toBeVisible();
  await expect(accountId).toHaveAttribute('aria-invalid', 'true');

  // A well-formed token the platform refuses: its words beside the form, nothing stored.
  await accountId.fill(LOCAL_CLOUDFLARE.userAccountId);
  await panel.getByRole('button', { name: 'Connect', exact: true }).click();
  const refusal = panel.getByRole('alert');
  await expect(refusal).toContainText('Cloudflare did not accept these credentials. Nothing was saved.');
  await expect(refusal).toContainText('Cloudflare refused the API token');
  await expect(accountId).not.toHaveAttribute('aria-invalid', 'true');
  await expect(panel.getByRole('button', { name: 'Disconnect', exact: true })).toHaveCount(0);
  await page.reload();
  await expect(panel.getByLabel('API token')).toBeVisible();
  await expect(panel.getByLabel('API token')).toHaveValue('');
  await expect(tab).not.toContainText('Connected');

  // The documented user token of the local cloud.
  await panel.getByLabel('API token').fill(LOCAL_CLOUDFLARE.userToken);
  await panel.getByLabel('Account ID').fill(LOCAL_CLOUDFLARE.userAccountId);
  await panel.getByRole('button', { name: 'Connect', exact: true }).click();
  const card = panel.getByRole('region', { name: 'Cloudflare connected' });
  await expect(card).toContainText(LOCAL_CLOUDFLARE.userAccountName);
  await expect(card).toContainText(`${LOCAL_CLOUDFLARE.userSubdomain}.workers.dev`);
  await expect(card).toContainText(`…${LOCAL_CLOUDFLARE.userToken.slice(-4)}`);
  await expect(card).toContainText('verified just now');
  await expect(tab).toContainText('Connected');
  // The secret is gone from the page once stored: no input holds it, no text shows it.
  await expect(panel.getByLabel('API token')).toHaveCount(0);
  expect(await page.content()).not.toContain(LOCAL_CLOUDFLARE.userToken);
  await page.screenshot({ path: test.info().outputPath('settings.png'), fullPage: true });
  await test.info().attach('settings-cloudflare-connected', { path: test.info().outputPath('settings.png'), contentType: 'image/png' });

  await card.getByRole('button', { name: 'Test connection' }).click();
  await expect(card.getByRole('status')).toHaveText(/The connection works: Cloudflare accepted the credentials just now/);

  // Stored: still there after a reload.
  await page.reload();
  await expect(card).toContainText(`${LOCAL_CLOUDFLARE.userSubdomain}.workers.dev`);

  // Disconnect confirms by naming what goes, then the form is back (and stays back).
  await card.getByRole('button', { name: 'Disconnect', exact: true }).click();
  const confirm = card.getByRole('group');
  await expect(confirm).toContainText(`the Cloudflare account “${LOCAL_CLOUDFLARE.userAccountName}”`);
  await expect(confirm).toContainText(`API token …${LOCAL_CLOUDFLARE.userToken.slice(-4)}`);
  await expect(confirm.getByRole('button', { name: 'Disconnect Cloudflare' })).toBeFocused();
  await confirm.getByRole('button', { name: 'Disconnect Cloudflare' }).click();
  await expect(panel.getByLabel('API token')).toBeVisible();
  await expect(card).toHaveCount(0);
  await expect(tab).not.toContainText('Connected');
  await page.reload();
  await expect(panel.getByLabel('API token')).toBeVisible();
});

for (const { platform, field, token, refused, shows } of [
  {
    platform: 'Netlify',
    field: 'Personal access token',
    token: LOCAL_NETLIFY.userToken,
    refused: 'Netlify refused the access token',
    shows: LOCAL_NETLIFY.userAccountSlug,
  },
  { platform: 'Vercel', field: 'Token', token: LOCAL_VERCEL.userToken, refused: 'Vercel refused the token', shows: 'Personal account' },
]) {
  test(`${platform}: a refused token stores nothing; the local token connects and is shown masked`, async ({ page }) => {
    await signUp(page.request, `${platform.toLowerCase()}-settings`);
    await page.goto(`/settings?platform=${platform.toLowerCase()}`);
    const tab = page.getByRole('tab', { name: new RegExp(platform) });
    await expect(tab).toHaveAttribute('aria-selected', 'true');
    const panel = page.getByRole('tabpanel', { name: new RegExp(platform) });
    await expect(panel.getByLabel(field, { exact: true })).toHaveAttribute('type', 'password');

    await panel.getByLabel(field, { exact: true }).fill('a-well-formed-token-nobody-issued-000000');
    await panel.getByRole('button', { name: 'Connect', exact: true }).click();
    const refusal = panel.getByRole('alert');
    await expect(refusal).toContainText(`${platform} did not accept these credentials. Nothing was saved.`);
    await expect(refusal).toContainText(refused);
    await page.reload();
    await expect(tab).not.toContainText('Connected');

    await panel.getByLabel(field, { exact: true }).fill(token);
    await panel.getByRole('button', { name: 'Connect', exact: true }).click();
    const card = panel.getByRole('region', { name: `${platform} connected` });
    await expect(card).toContainText(shows);
    await expect(card).toContainText(`…${token.slice(-4)}`);
    await expect(tab).toContainText('Connected');
    expect(await page.content()).not.toContain(token);
  });
}

test('AWS Amplify: the local user keys connect in us-east-1 and show the region', async ({ page }) => {
  await signUp(page.request, 'amp-settings');
  await openSettings(page);
  await page.getByRole('tab', { name: /AWS Amplify/ }).click();
  const panel = page.getByRole('tabpanel', { name: /AWS Amplify/ });
  await expect(panel.getByRole('button', { name: 'Copy policy' })).toBeVisible();
  await expect(panel.getByRole('region', { name: 'IAM policy (JSON)' })).toContainText('"amplify:CreateDeployment"');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await panel.getByRole('button', { name: 'Copy policy' }).click();
  await expect(panel.getByRole('button', { name: 'Copied' })).toBeVisible();
  const policy = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  expect(policy.Statement.flatMap((s: { Action: string[] }) => s.Action)).toEqual(
    expect.arrayContaining(['amplify:CreateApp', 'amplify:StartDeployment', 'amplify:GetJob']),
  );
  await expect(panel.getByLabel('Secret access key')).toHaveAttribute('type', 'password');

  await panel.getByLabel('Access key ID').fill(LOCAL_AWS.user.accessKeyId);
  await panel.getByLabel('Secret access key').fill(LOCAL_AWS.user.secretAccessKey);
  await panel.getByLabel('Region').selectOption(LOCAL_AWS.region);
  await panel.getByRole('button', { name: 'Connect', exact: true }).click();

  const card = panel.getByRole('region', { name: 'AWS Amplify connected' });
  await expect(card).toContainText('US East (N. Virginia) · us-east-1');
  await expect(card).toContainText(`…${LOCAL_AWS.user.accessKeyId.slice(-4)}`);
  await expect(card).toContainText('None yet: one is created for your first site');
  await expect(page.getByRole('tab', { name: /AWS Amplify/ })).toContainText('Connected');
  expect(await page.content()).not.toContain(LOCAL_AWS.user.secretAccessKey);

  await card.getByRole('button', { name: 'Test connection' }).click();
  await expect(card.getByRole('status')).toHaveText(/The connection works/);

  // The tab is in the address: a reload opens it again.
  await expect(page).toHaveURL(/\?platform=amplify$/);
  await page.reload();
  await expect(page.getByRole('tab', { name: /AWS Amplify/ })).toHaveAttribute('aria-selected', 'true');
  await expect(card).toContainText('us-east-1');
});

test('the platform tabs work from the keyboard alone', async ({ page }) => {
  await signUp(page.request, 'keys-settings');
  await openSettings(page);
  await expect(page.getByRole('tabpanel', { name: /Cloudflare/ }).getByLabel('API token')).toBeVisible();

  // Tab from the top of the page until focus reaches the tab list: exactly one tab is a Tab stop.
  await expect(page.locator('[role=tab][tabindex="0"]')).toHaveCount(1);
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate(() => document.activeElement?.getAttribute('role'))) === 'tab') break;
  }
  const tab = (name: RegExp) => page.getByRole('tab', { name });
  await expect(tab(/Cloudflare/)).toBeFocused();

  await page.keyboard.press('ArrowRight');
  await expect(tab(/AWS Amplify/)).toBeFocused();
  await expect(tab(/AWS Amplify/)).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel', { name: /AWS Amplify/ }).getByLabel('Access key ID')).toBeVisible();

  await page.keyboard.press('ArrowRight');
  await expect(tab(/Netlify/)).toBeFocused();
  await expect(page.getByRole('tabpanel', { name: /Netlify/ }).getByLabel('Personal access token')).toBeVisible();

  await page.keyboard.press('End');
  await expect(tab(/GitHub Pages/)).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel', { name: /GitHub Pages/ }).getByLabel('Personal access token')).toBeVisible();
  await page.keyboard.press('ArrowLeft');
  await expect(tab(/Vercel/)).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel', { name: /Vercel/ }).getByLabel('Team ID')).toBeVisible();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight'); // wraps around
  await expect(tab(/Cloudflare/)).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(tab(/GitHub Pages/)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(tab(/Cloudflare/)).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('[role=tab][tabindex="0"]')).toHaveCount(1);

  // Tab leaves the tab list for the panel, then its first field; typing works there.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('tabpanel', { name: /Cloudflare/ })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('API token')).toBeFocused();
});

test('Change password: a wrong current one is refused; the new one signs out the other browser and keeps this one', async ({ page, playwright, baseURL }) => {
  const email = await signUp(page.request, 'password');
  const other = await playwright.request.newContext({ baseURL });
  expect((await other.post('/api/auth/sign-in', { data: { email, password: PASSWORD } })).status()).toBe(200);
  await page.goto('/settings');
  await expect(page.getByTestId('session-count')).toHaveText('You are signed in on 2 browsers.');

  const form = page.getByRole('region', { name: 'Password', exact: true });
  await form.getByLabel('Current password').fill('not my password at all');
  await form.getByLabel('New password').fill('a brand new long password');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByText('Your current password is not right. Enter it again.')).toBeVisible();
  await expect(form.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
  expect((await other.get('/api/me')).status()).toBe(200);

  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByRole('status')).toHaveText('Password changed. 1 other session was signed out.');
  expect((await other.get('/api/me')).status()).toBe(401);
  await page.reload();
  await expect(page.getByTestId('signed-in-email')).toHaveText(email);
  await expect(page.getByTestId('session-count')).toHaveText('You are signed in on this browser only.');

  expect((await other.post('/api/auth/sign-in', { data: { email, password: PASSWORD } })).status()).toBe(401);
  expect((await other.post('/api/auth/sign-in', { data: { email, password: 'a brand new long password' } })).status()).toBe(200);
  await other.dispose();
});

test('Sign out everywhere ends this browser and every other one', async ({ page, playwright, baseURL }) => {
  const email = await signUp(page.request, 'everywhere');
  const other = await playwright.request.newContext({ baseURL });
  expect((await other.post('/api/auth/sign-in', { data: { email, password: PASSWORD } })).status()).toBe(200);
  await page.goto('/settings');
  await expect(page.getByTestId('session-count')).toHaveText('You are signed in on 2 browsers.');

  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  expect((await other.get('/api/me')).status()).toBe(401);
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/sign-in$/);
  await other.dispose();
});
