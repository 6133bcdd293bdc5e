// The deploy flows a person goes through, in real Chromium against next start + the local cloud.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { CLOUD_URL } from '../playwright.config';
import { LOCAL_GITHUB } from '../src/lib/platforms/github/local';
import { LOCAL_NETLIFY } from '../src/lib/platforms/netlify/local';
import { fetchSite } from '../src/testing/cloud';

const PASSWORD = 'correct horse battery staple';
const email = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@huskit.test`;

async function signUp(page: Page, label: string) {
  await page.goto('/sign-up');
  await page.getByLabel('Email').fill(email(label));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
}

async function createSite(page: Page, name: string, template: string) {
  await page.goto('/sites');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel(template).check();
  await page.getByRole('button', { name: 'Create from template' }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
}

/** Replaces the text of the open file in CodeMirror and waits for the autosave. */
async function editOpenFile(page: Page, from: string, to: string) {
  const editor = page.getByTestId('code-editor').locator('.cm-content');
  await editor.click();
  await page.keyboard.press('ControlOrMeta+f');
  await page.keyboard.press('Escape');
  const text = await editor.innerText();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.insertText(text.replace(from, to));
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
}

async function quickDeploy(page: Page, platform: 'Cloudflare' | 'AWS Amplify' | 'Netlify' | 'Vercel') {
  await page.getByRole('button', { name: 'Deploy ▾' }).click();
  await page.getByRole('menuitem', { name: new RegExp(platform) }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/Quick deploy/).check();
  await dialog.getByRole('button', { name: 'Deploy now' }).click();
  await expect(dialog.getByTestId('live-url')).toBeVisible({ timeout: 60_000 });
  return (await dialog.getByTestId('live-url').textContent())!.trim();
}

async function served(url: string, path = '/') {
  return fetchSite(CLOUD_URL, new URL(url).hostname, path);
}

for (const platform of ['Cloudflare', 'AWS Amplify', 'Netlify', 'Vercel'] as const) {
  test(`SPA template → edit → quick deploy to ${platform} → the URL shows the edit and client routes reload`, async ({ page }) => {
    await signUp(page, 'spa');
    await createSite(page, `Shop ${platform}`, 'Single-page app');
    await page.getByRole('button', { name: 'app.js' }).click();
    await editOpenFile(page, 'Home of a single-page app.', 'Edited in the browser.');
    const url = await quickDeploy(page, platform);
    await page.screenshot({ path: test.info().outputPath(`deployed-${platform.replace(' ', '-')}.png`) });

    const site = await page.context().newPage();
    await site.goto(url);
    await expect(site.getByText('Edited in the browser.')).toBeVisible();
    await site.getByRole('link', { name: 'Pricing' }).click();
    await expect(site.getByRole('heading', { name: 'Pricing' })).toBeVisible();
    await site.reload();
    await expect(site.getByRole('heading', { name: 'Pricing' })).toBeVisible();
    await expect(site).toHaveURL(/\/pricing$/);
  });
}

test('redeploy after one edit uploads one file, keeps the URL; rollback brings the old text back', async ({ page }) => {
  await signUp(page, 'redeploy');
  await createSite(page, 'Landing', 'Landing page');
  const url = await quickDeploy(page, 'Cloudflare');
  expect((await served(url)).body.toString()).toContain('Welcome!');
  await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();

  await page.getByRole('button', { name: 'index.html' }).click();
  await editOpenFile(page, 'Welcome!', 'Welcome back!');
  await page.getByRole('button', { name: 'Deploy ▾' }).click();
  await page.getByRole('menuitem', { name: /Cloudflare/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Deploy again' }).click();
  await dialog.getByLabel(/Quick deploy/).check();
  await dialog.getByRole('button', { name: 'Deploy now' }).click();
  await expect(dialog.getByTestId('live-url')).toHaveText(url, { timeout: 60_000 });
  await dialog.getByText(/^Log/).click();
  await expect(dialog.getByTestId('deploy-log')).toContainText('Uploaded 1 of 1 changed file');
  expect((await served(url)).body.toString()).toContain('Welcome back!');
  await dialog.getByRole('button', { name: 'Done' }).click();

  await page.goto('/dashboard');
  const rows = page.getByTestId('deployment-row');
  await expect(rows).toHaveCount(2);
  await rows.nth(1).getByRole('button', { name: 'Rollback' }).click();
  await expect(rows).toHaveCount(3);
  await expect(rows.first().getByText('ready')).toBeVisible({ timeout: 60_000 });
  expect((await served(url)).body.toString()).toContain('Welcome!');
  await page.screenshot({ path: test.info().outputPath('dashboard.png') });
});

test('import a folder with an image and a font: the bytes served equal the imported ones', async ({ page }) => {
  await signUp(page, 'import');
  const png = Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082',
    'hex',
  );
  const font = Buffer.concat([Buffer.from('wOF2'), Buffer.alloc(3000, 7)]);
  await page.goto('/sites');
  await page.getByLabel('Name').fill('Imported');
  // A real folder on disk, picked as a person would with the directory picker.
  // In the test's own output folder, which Playwright clears at the next run.
  const dir = test.info().outputPath('site');
  for (const [file, bytes] of [
    ['index.html', Buffer.from('<h1>imported</h1><img src="/img/logo.png">')],
    ['img/logo.png', png],
    ['fonts/brand.woff2', font],
  ] as const) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), bytes);
  }
  await page.getByTestId('import-folder').setInputFiles(dir);
  await expect(page.getByRole('heading', { name: 'Imported' })).toBeVisible();
  const url = await quickDeploy(page, 'Cloudflare');
  const image = await served(url, '/img/logo.png');
  expect([image.headers['content-type'], image.body.equals(png)]).toEqual(['image/png', true]);
  const served2 = await served(url, '/fonts/brand.woff2');
  expect([served2.headers['content-type'], served2.body.equals(font)]).toEqual(['font/woff2', true]);
  await page.screenshot({ path: test.info().outputPath('imported.png') });
});

test('deploy to your own Cloudflare account after connecting it', async ({ page }) => {
  await signUp(page, 'own');
  await page.goto('/settings');
  await page.getByLabel(/API token/i).fill('local-cf-user-token-00000000000000000000');
  await page.getByLabel(/Account id/i).fill('9e8d7c6b5a4938271605f4e3d2c1b0a9');
  await page
    .getByRole('button', { name: /Connect/ })
    .first()
    .click();
  await expect(page.getByText('local-user').first()).toBeVisible();
  await createSite(page, 'Mine', 'Landing page');
  await page.getByRole('button', { name: 'Deploy ▾' }).click();
  await page.getByRole('menuitem', { name: /Cloudflare/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/Deploy to your Cloudflare account/).check();
  await dialog.getByRole('button', { name: 'Deploy now' }).click();
  await expect(dialog.getByTestId('live-url')).toHaveText(/^http:\/\/mine\.local-user\.workers\.localhost:\d+$/, { timeout: 60_000 });
  await page.screenshot({ path: test.info().outputPath('own-account.png') });
});

test('deploy to your own Netlify account after connecting it', async ({ page }) => {
  await signUp(page, 'own-netlify');
  await page.goto('/settings?platform=netlify');
  await page.getByLabel('Personal access token').fill(LOCAL_NETLIFY.userToken);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Netlify connected' })).toBeVisible();
  await createSite(page, 'My Netlify', 'Landing page');
  await page.getByRole('button', { name: 'Deploy ▾' }).click();
  await page.getByRole('menuitem', { name: /Netlify/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/Deploy to your Netlify account/).check();
  await dialog.getByRole('button', { name: 'Deploy now' }).click();
  await expect(dialog.getByTestId('live-url')).toHaveText(/^http:\/\/my-netlify-[0-9a-f]{6}\.netlify\.localhost:\d+$/, { timeout: 60_000 });
  const url = (await dialog.getByTestId('live-url').textContent())!.trim();
  expect((await served(url)).body.toString()).toContain('Welcome!');
});

test('GitHub Pages: connect a token in Settings, deploy from the editor (own account only), open the URL', async ({ page }) => {
  await signUp(page, 'own-github');
  await page.goto('/settings?platform=github');
  await page.getByLabel('Personal access token').fill(LOCAL_GITHUB.adminToken);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const card = page.getByRole('region', { name: 'GitHub Pages connected' });
  await expect(card).toContainText(LOCAL_GITHUB.login);
  await createSite(page, 'My Pages', 'Landing page');
  await page.getByRole('button', { name: 'Deploy ▾' }).click();
  await page.getByRole('menuitem', { name: /GitHub Pages/ }).click();
  const dialog = page.getByRole('dialog');
  // No shared GitHub account: quick deploy is shown as not offered, the own account is chosen.
  await expect(dialog.getByLabel(/Quick deploy/)).toBeDisabled();
  await expect(dialog.getByTestId('allowance')).toHaveText('Not offered for GitHub Pages: sites go to your own account.');
  await expect(dialog.getByLabel(/Deploy to your GitHub Pages account/)).toBeChecked();
  await dialog.getByRole('button', { name: 'Deploy now' }).click();
  const live = dialog.getByTestId('live-url');
  await expect(live).toHaveText(new RegExp(`^http://${LOCAL_GITHUB.login}\\.github\\.localhost:\\d+/my-pages-[0-9a-f]{6}/$`), { timeout: 60_000 });
  // The template links to "/about": the log says such links miss a site that lives under /{repo}/.
  await expect(dialog.getByTestId('deploy-log')).toContainText('which will miss the site');
  const url = (await live.textContent())!.trim();
  const site = await page.context().newPage();
  await site.goto(url);
  await expect(site.getByText('Welcome! Edit this page')).toBeVisible();
});

test('the sixth quick deploy within an hour shows the 429 message with a countdown', async ({ page }) => {
  await signUp(page, 'limit');
  await createSite(page, 'Busy', 'Landing page');
  for (let i = 0; i < 5; i++) {
    await quickDeploy(page, 'Cloudflare');
    await page.getByRole('dialog').getByRole('button', { name: 'Deploy again' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  }
  await page.getByRole('button', { name: 'Deploy ▾' }).click();
  await page.getByRole('menuitem', { name: /Cloudflare/ }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByTestId('allowance')).toHaveText(/0 left this hour/);
  await dialog.getByLabel(/Quick deploy/).check();
  await dialog.getByRole('button', { name: 'Deploy now' }).click();
  await expect(dialog.getByRole('alert')).toContainText(/Too many deployments\. Try again in \d+ minutes/);
  const first = await dialog.getByTestId('countdown').textContent();
  // It counts down: the text changes within a few seconds (Playwright waits for it).
  await expect(dialog.getByTestId('countdown')).not.toHaveText(first!, { timeout: 5000 });
  await page.screenshot({ path: test.info().outputPath('rate-limited.png') });
});

test('keyboard only: the deploy modal opens, is driven and closes; focus stays inside and returns', async ({ page }) => {
  await signUp(page, 'keys');
  await createSite(page, 'Keys', 'Landing page');
  const trigger = page.getByRole('button', { name: 'Deploy ▾' });
  await trigger.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menuitem', { name: /Cloudflare/ })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: /AWS Amplify/ })).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  }
  await page.screenshot({ path: test.info().outputPath('keyboard-modal.png') });
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(trigger).toBeFocused();
});
