import { expect, test } from '@playwright/test';

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

test('an operator sees the Admin page; other users get 404 there', async ({ page, request }) => {
  const email = 'operator@huskit.test';
  const signUp = await request.post('/api/auth/sign-up', { data: { email, password: PASSWORD } });
  expect([201, 409]).toContain(signUp.status());
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Admin' })).toBeVisible();
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

test('an API key created in Settings is shown once and works as a Bearer token', async ({ page, playwright, baseURL }) => {
  await page.goto('/sign-up');
  const email = newEmail('keys');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();

  await page.getByLabel('Key name').fill('CI pipeline');
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = (await page.getByTestId('new-api-key').textContent())!.trim();
  expect(key).toMatch(/^hs_/);
  await expect(page.getByRole('list', { name: 'Your API keys' })).toContainText('CI pipeline');

  const api = await playwright.request.newContext({ baseURL });
  const me = await api.get('/api/me', { headers: { authorization: `Bearer ${key}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).user.email).toBe(email);

  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByText('No API keys yet.')).toBeVisible();
  expect((await api.get('/api/me', { headers: { authorization: `Bearer ${key}` } })).status()).toBe(401);
  await api.dispose();
});
