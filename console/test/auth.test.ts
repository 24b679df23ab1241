import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browsing, hasChromium, npmStart, openBrowser, type Started } from './browser.js';

const READ = 'viewer-secret-0123456789abcdef';
const ADMIN = 'admin-secret-0123456789abcdef';
const LONG = { timeout: 60_000 };

/** With tokens configured, the console asks for one and shows only what its scopes allow. */
describe.skipIf(!hasChromium())('the console with auth on', () => {
  let server: Started;
  let browsing: Browsing;
  beforeAll(async () => {
    server = await npmStart({ LOCAL_AGENT: 'off', API_TOKENS: `viewer:read:${READ},root:admin:${ADMIN}` });
    browsing = await openBrowser(server.url);
  }, 180_000);
  afterAll(async () => {
    await browsing?.close();
    await server?.stop();
  });

  const signIn = async (token: string) => {
    const { page } = browsing;
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('asks for a token, and refuses a wrong one', async () => {
    const { page } = browsing;
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').waitFor(LONG);
    await signIn('not-a-token-0123456789');
    await page.getByRole('alert').filter({ hasText: 'refused' }).waitFor(LONG);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('shows a read token no admin control', async () => {
    const { page } = browsing;
    await signIn(READ);
    await expect.poll(() => page.locator('[data-scopes]').getAttribute('data-scopes'), LONG).toBe('read');
    await page.locator('table.fleet').waitFor(LONG);
    expect(await page.getByRole('link', { name: 'Commands' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.locator('table.rules').waitFor(LONG);
    expect(await page.locator('form.rule-form').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Delete|Edit/ }).count()).toBe(0);
    // The token is kept for the tab: a reload signs in again.
    await page.reload();
    await expect.poll(() => page.locator('[data-scopes]').getAttribute('data-scopes'), LONG).toBe('read');
  });

  it('shows an admin token the rule form and the commands page', async () => {
    const { page } = browsing;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor(LONG);
    await signIn(ADMIN);
    await expect
      .poll(() => page.locator('[data-scopes]').getAttribute('data-scopes'), LONG)
      .toBe('read + admin');
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.locator('form.rule-form').waitFor(LONG);
    await page.getByRole('link', { name: 'Commands' }).click();
    await page.locator('form.command-form').waitFor(LONG);
    expect(browsing.errors).toEqual([]);
    expect(browsing.blocked).toEqual([]);
  });
});
