// The operators' page in a real browser: quota bars, the per-day chart, failures and the cleanup
// button, with deployments made through the REST API first so the numbers move; a non-admin gets 404.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { CLOUD_URL } from '../playwright.config';
import { grantAdminByCli } from './grant-admin';

const PASSWORD = 'correct horse battery staple';
const newEmail = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@huskit.test`;

/** A new account, made an admin the way an operator bootstraps one (`npm run admin -- grant`). */
async function signInOperator(request: APIRequestContext): Promise<string> {
  const email = newEmail('operator');
  expect((await request.post('/api/auth/sign-up', { data: { email, password: PASSWORD } })).status()).toBe(201);
  grantAdminByCli(email);
  return email;
}

/** The numbers the page shows now. */
async function readNumbers(page: Page) {
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
  const int = async (testId: string) => Number(await page.getByTestId(testId).textContent());
  const summary = (await page.getByTestId('deployments-summary').textContent()) ?? '';
  return {
    cloudflareUsed: await int('quota-cloudflare-used'),
    deployments24h: await int('figure-deployments-24h'),
    today: Number(/, (\d+) today\./.exec(summary)?.[1] ?? 0),
  };
}

async function deploy(request: APIRequestContext, chatId: string, html: string): Promise<string> {
  const res = await request.post('/api/cloudflare-deploy', {
    data: { authMode: 'platform-managed', projectName: `Admin e2e ${chatId}`, chatId, files: { 'index.html': html } },
  });
  const body = await res.json();
  expect(res.status(), JSON.stringify(body)).toBe(202);
  return body.deploymentId;
}

async function finished(request: APIRequestContext, id: string): Promise<{ status: string; error?: string }> {
  let status = { status: 'pending' } as { status: string; error?: string };
  await expect
    .poll(
      async () => {
        status = await (await request.get(`/api/deploy-status?deploymentId=${id}`)).json();
        return status.status;
      },
      { timeout: 30_000, intervals: [250, 500, 1000] },
    )
    .toMatch(/^(ready|error|canceled)$/);
  return status;
}

test('the operator sees quotas, the chart, failures and runs the cleanup', async ({ page, playwright, baseURL }) => {
  await signInOperator(page.request);
  // Sites of earlier runs on this database that have expired meanwhile are removed first, so the
  // cleanup at the end changes none of the numbers this test counts.
  await page.goto('/admin');
  await page.getByRole('button', { name: 'Run cleanup now' }).click();
  await expect(page.getByTestId('cleanup-result')).toContainText('Cleanup finished', { timeout: 30_000 });
  const before = await readNumbers(page);

  // Someone deploys twice, and a third deployment fails on a refusal of the platform.
  const deployer = await playwright.request.newContext({ baseURL });
  const deployerEmail = newEmail('admin-deployer');
  expect((await deployer.post('/api/auth/sign-up', { data: { email: deployerEmail, password: PASSWORD } })).status()).toBe(201);
  const run = Math.random().toString(36).slice(2, 8);
  const ready = [await deploy(deployer, `admin-a-${run}`, '<h1>A</h1>'), await deploy(deployer, `admin-b-${run}`, '<h1>B</h1>')];
  for (const id of ready) expect((await finished(deployer, id)).status).toBe('ready');
  await fetch(`${CLOUD_URL}/_emulator/faults`, {
    method: 'POST',
    body: JSON.stringify({ rules: [{ target: 'cloudflare', route: 'assets-upload-session', kind: 'status', status: 403, count: 1 }] }),
  });
  let failed: { status: string; error?: string };
  try {
    failed = await finished(deployer, await deploy(deployer, `admin-c-${run}`, '<h1>C</h1>'));
  } finally {
    await fetch(`${CLOUD_URL}/_emulator/faults`, { method: 'DELETE' });
  }
  expect(failed.status).toBe('error');
  await deployer.dispose();

  const after = await readNumbers(page);
  // The two live sites count against the Cloudflare quota until they expire; the failed one freed its place at once.
  expect(after.cloudflareUsed).toBe(before.cloudflareUsed + 2);
  expect(after.deployments24h).toBe(before.deployments24h + 3);
  expect(after.today).toBe(before.today + 3);

  // One bar per platform with a limit, the numbers as words too.
  const cloudflare = page.getByRole('meter', { name: 'Cloudflare' });
  await expect(cloudflare).toHaveAttribute('aria-valuenow', String(after.cloudflareUsed));
  await expect(cloudflare).toHaveAttribute('aria-valuemax', '80');
  await expect(page.getByTestId('quota-cloudflare')).toContainText(`${after.cloudflareUsed} of 80 live sites`);
  await expect(page.getByRole('meter', { name: 'AWS Amplify' })).toHaveAttribute('aria-valuemax', '40');
  await expect(page.getByTestId('quota-amplify')).toContainText('of 40 live sites');

  // The chart, and what it says in words.
  await expect(page.getByTestId('deployments-chart')).toBeVisible();
  await expect(page.getByRole('img', { name: /Deployments per day, last 30 days\./ })).toBeVisible();
  await expect(page.getByTestId('deployments-summary')).toContainText(`, ${after.today} today.`);
  await expect(page.getByTestId('deployments-chart').locator('rect')).toHaveCount(30);

  // The failure, with its message and owner; rejections and the sites that expire next.
  const failures = page.getByRole('list', { name: 'Recent failures' });
  await expect(failures.getByRole('listitem').first()).toContainText(deployerEmail);
  await expect(failures.getByRole('listitem').first()).toContainText(failed.error!);
  await expect(page.getByRole('heading', { name: 'Rate-limit rejections' })).toBeVisible();
  await expect(page.getByTestId('rejections-summary')).toHaveText(/None in the last 24 hours\.|refused in the last 24 hours\./);
  await expect(page.getByRole('region', { name: 'Closest to expiry' }).getByRole('row')).not.toHaveCount(0);

  await page.getByRole('button', { name: 'Run cleanup now' }).click();
  const result = page.getByTestId('cleanup-result');
  await expect(result).toContainText('Cleanup finished', { timeout: 30_000 });
  await expect(result).toContainText(/\d+ expired sites? removed/);
  await expect(result).toContainText(/\d+ unused files? released/);
  // The page's numbers were read again; the sites just made are live for weeks, so they stay.
  await expect(page.getByTestId('quota-cloudflare-used')).toHaveText(String(after.cloudflareUsed));

  await page.screenshot({ path: test.info().outputPath('admin.png'), fullPage: true });
  await test.info().attach('admin', { path: test.info().outputPath('admin.png'), contentType: 'image/png' });
});

test('a signed-in non-admin gets 404 at /admin', async ({ page }) => {
  expect((await page.request.post('/api/auth/sign-up', { data: { email: newEmail('not-admin'), password: PASSWORD } })).status()).toBe(201);
  const response = await page.goto('/admin');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Quick-deploy quota' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Run cleanup now' })).toHaveCount(0);
});

test('an admin grants the role to another account on the page and takes it back; the other sees the page only meanwhile', async ({
  page,
  playwright,
  baseURL,
}) => {
  const operator = await signInOperator(page.request);
  const colleague = await playwright.request.newContext({ baseURL });
  const colleagueEmail = newEmail('colleague');
  expect((await colleague.post('/api/auth/sign-up', { data: { email: colleagueEmail, password: PASSWORD } })).status()).toBe(201);
  expect((await colleague.get('/admin')).status()).toBe(404);

  await page.goto('/admin');
  const panel = page.getByRole('region', { name: 'Admins' });
  const admins = panel.getByRole('list', { name: 'Admins' });
  await expect(admins.getByRole('listitem').filter({ hasText: operator })).toContainText('(you)');

  // An email nobody signed up with is refused with what to do.
  await panel.getByLabel('Email of the account').fill(newEmail('nobody'));
  await panel.getByRole('button', { name: 'Make admin' }).click();
  await expect(panel.getByRole('alert')).toContainText('Ask the person to sign up first');

  await panel.getByLabel('Email of the account').fill(colleagueEmail);
  await panel.getByRole('button', { name: 'Make admin' }).click();
  await expect(panel.getByRole('status')).toHaveText(`${colleagueEmail} is now an admin.`);
  const row = admins.getByRole('listitem').filter({ hasText: colleagueEmail });
  await expect(row).toBeVisible();
  expect((await colleague.get('/admin')).status()).toBe(200);

  page.once('dialog', (dialog) => void dialog.accept());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(row).toHaveCount(0);
  expect((await colleague.get('/admin')).status()).toBe(404);
  await colleague.dispose();
});
