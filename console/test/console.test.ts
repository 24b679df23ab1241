import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport } from '../../testing/fixtures.js';
import { type Browsing, hasChromium, markTime, npmStart, openBrowser, type Started } from './browser.js';

const run = promisify(execFile);
const LONG = { timeout: 60_000 };

/**
 * The "done when", in Chromium against `npm start` (server and local agent), every other origin
 * blocked. Figures are measured in the page and printed, not asserted: the machine is shared.
 */
describe.skipIf(!hasChromium())('the console after npm start', () => {
  let server: Started;
  let browsing: Browsing;
  let clientId: string;
  beforeAll(async () => {
    server = await npmStart({ AGENT_REPORT_INTERVAL: '2s' });
    clientId = (await server.run.waitFor((l) => l.msg === 'agent started')).clientId as string;
    browsing = await openBrowser(server.url);
  }, 180_000);
  afterAll(async () => {
    await browsing?.close();
    await server?.stop();
  });

  it('lists this machine on the fleet page, live, with its status and sparklines', async () => {
    const { page } = browsing;
    await page.goto(`${server.url}/`);
    const row = page.locator(`tr[data-client="${clientId}"]`);
    await row.waitFor({ timeout: 15_000 });
    console.log(
      `fleet page: this machine listed ${Math.round((await markTime(page, 'fleet-interactive')) ?? -1)} ms after navigation`,
    );
    await expect.poll(() => row.locator('.status').textContent(), LONG).toBe('ONLINE');
    await row.locator('svg.spark').first().waitFor(LONG);
    expect(await page.getByRole('link', { name: 'GraphiQL' }).getAttribute('href')).toBe('/graphql');
  });

  it('shows a report posted with the original REST curl without reloading', async () => {
    const { page } = browsing;
    const row = page.locator(`tr[data-client="${originalReport.user_id}"]`);
    expect(await row.count()).toBe(0);
    const sent = await page.evaluate(() => performance.now());
    await run('curl', [
      '--silent',
      '--fail',
      '--header',
      'Content-Type: application/json',
      '--request',
      'POST',
      '--data',
      JSON.stringify(originalReport),
      `${server.url}/api/v1/metrics`,
    ]);
    await row.waitFor(LONG);
    const shown = await markTime(page, `fleet-row:${originalReport.user_id}`);
    console.log(
      `live: the REST report appeared on the open fleet page ${Math.round((shown ?? Number.NaN) - sent)} ms after curl was started`,
    );
    expect(await row.textContent()).toContain('Linux 18.04 LTS');
  });

  it('draws CPU points on the host page and appends live windows', async () => {
    const { page } = browsing;
    await page.locator(`tr[data-client="${clientId}"] a`).click();
    const cpu = page.locator('figure.chart[data-title="cpu (ratio)"]');
    await expect.poll(async () => Number(await cpu.getAttribute('data-points')), LONG).toBeGreaterThan(0);
    const before = Number(await cpu.getAttribute('data-points'));
    // The agent reports every 2 s: a new window is appended to the open chart.
    await expect
      .poll(
        () =>
          page.evaluate(() =>
            performance.getEntriesByType('mark').some((m) => m.name.startsWith('host-live:')),
          ),
        LONG,
      )
      .toBe(true);
    expect(Number(await cpu.getAttribute('data-points'))).toBeGreaterThanOrEqual(before);
    for (const name of ['15m', '6h', '24h', '7d', '1h']) {
      await page.getByRole('button', { name, exact: true }).click();
      await expect
        .poll(() => page.getByRole('button', { name, exact: true }).getAttribute('aria-pressed'))
        .toBe('true');
    }
    await page.getByLabel('Aggregate').selectOption('P95');
    await expect.poll(async () => Number(await cpu.getAttribute('data-points')), LONG).toBeGreaterThan(0);
    expect(await page.locator('figure.chart').count()).toBeGreaterThanOrEqual(6);
  });

  it('creates an alert rule that fires and shows FIRING', async () => {
    const { page } = browsing;
    await page.goto(`${server.url}/#/alerts`);
    const form = page.locator('form.rule-form');
    await form.getByLabel('Name', { exact: true }).fill('memory in use');
    await form.getByLabel('Metric', { exact: true }).selectOption('MEMORY_USED_RATIO');
    await form.getByLabel('Comparator', { exact: true }).selectOption('ABOVE');
    await form.getByLabel('Threshold', { exact: true }).fill('0');
    await form.getByLabel('For (seconds)').fill('0');
    await form.getByLabel('Client id').fill(clientId);
    await form.getByRole('button', { name: 'Create rule' }).click();
    await page.locator('table.rules tr[data-rule="memory in use"]').waitFor(LONG);
    await page.locator('table.firing-now tr.firing', { hasText: 'memory in use' }).waitFor(LONG);
    await page.locator('table.history tr[data-state="FIRING"]').first().waitFor(LONG);
  });

  it('sends a command and shows it APPLIED', async () => {
    const { page } = browsing;
    await page.goto(`${server.url}/#/commands/${encodeURIComponent(clientId)}`);
    await expect.poll(() => page.getByLabel('Host').inputValue(), LONG).toBe(clientId);
    await page.getByLabel('Command', { exact: true }).selectOption('SET_SAMPLING_INTERVAL');
    await page.getByLabel('Interval (ms)').fill('500');
    await page.getByRole('button', { name: 'Send command' }).click();
    await page.locator('table.commands tr[data-status="APPLIED"]').first().waitFor(LONG);
  });

  it('logged no console error and sent nothing outside the origin', () => {
    expect(browsing.errors).toEqual([]);
    expect(browsing.blocked).toEqual([]);
  });
});
