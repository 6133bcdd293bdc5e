// The app's security headers on a real page of the built app, and the editor's live preview served
// from its own origin (PREVIEW_ORIGIN, preview.localhost here), never from the app's.
import { expect, test } from '@playwright/test';

const PASSWORD = 'correct horse battery staple';
const email = () => `headers-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@huskit.test`;

test('a page of the app carries CSP (frame-ancestors none, frames from the preview origin), nosniff, Referrer-Policy, X-Frame-Options, HSTS', async ({
  page,
}) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  const res = (await page.goto('/sign-in'))!;
  expect(res.status()).toBe(200);
  const headers = res.headers();
  const csp = headers['content-security-policy']!.split('; ');
  const previewOrigin = `http://preview.localhost:${new URL(page.url()).port}`;
  expect(csp).toEqual(
    expect.arrayContaining([
      "default-src 'self'",
      "frame-ancestors 'none'",
      `frame-src ${previewOrigin}`,
      "base-uri 'self'",
      "form-action 'self'",
      "object-src 'none'",
    ]),
  );
  expect(headers['content-security-policy']).not.toContain('unsafe-eval');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['permissions-policy']).toContain('camera=()');
  expect(headers['strict-transport-security']).toContain('max-age=');
  // The page works under its own policy: the form is there and the browser reported no violation.
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(violations).toEqual([]);
});

test('the editor’s preview loads from the preview origin and shows the template (its script runs); the same path on the app origin is 404', async ({
  page,
}) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto('/sign-up');
  await page.getByLabel('Email').fill(email());
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/sites');
  await page.getByLabel('Name').fill('Framed Site');
  await page.getByLabel('Single-page app').check();
  await page.getByRole('button', { name: 'Create from template' }).click();
  await expect(page.getByRole('heading', { name: 'Framed Site' })).toBeVisible();

  const app = new URL(page.url());
  const frame = page.locator('iframe[title="Live preview"]');
  const src = new URL((await frame.getAttribute('src'))!);
  expect(src.origin).toBe(`http://preview.localhost:${app.port}`);
  expect(src.pathname).toMatch(/^\/preview\/[0-9a-f-]{36}\/\d+\.[A-Za-z0-9_-]{43}\/$/);
  await expect(page.frameLocator('iframe[title="Live preview"]').getByRole('heading', { name: 'Framed Site' })).toBeVisible();
  // Rendered by the template's module script: scripts run in the sandboxed frame.
  await expect(page.frameLocator('iframe[title="Live preview"]').getByText('Home of a single-page app.')).toBeVisible();
  // No cookie of the app exists for the preview origin.
  expect(await page.context().cookies(src.origin)).toEqual([]);
  expect(violations).toEqual([]);

  // The very same link asked of the app's origin is not served.
  const onApp = await page.request.get(`${app.origin}${src.pathname}`);
  expect(onApp.status()).toBe(404);
  expect(await onApp.text()).not.toContain('app.js');
  // And the preview origin answers nothing but previews (here: the app's sign-in page).
  const other = await page.request.get(`${app.origin}/sign-in`, { headers: { host: src.host } });
  expect(other.status()).toBe(404);
});
