import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportInput } from '../../testing/fixtures.js';
import { type Browsing, hasChromium, markTime, npmStart, openBrowser, type Started } from './browser.js';

const LONG = { timeout: 60_000 };
const CLIENTS = 1_000;
const WEEK_MINUTES = 7 * 24 * 60; // 10,080

/** Sends reports 50 to an operation (aliased mutations, within the API's alias budget). */
async function report(url: string, inputs: Record<string, unknown>[]): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < inputs.length; i += 50) batches.push(inputs.slice(i, i + 50));
  const send = async (batch: Record<string, unknown>[]) => {
    const vars = batch.map((_, i) => `$i${i}: ReportMetricsInput!`).join(', ');
    const fields = batch.map((_, i) => `r${i}: reportMetrics(input: $i${i}) { points }`).join(' ');
    const variables = Object.fromEntries(batch.map((input, i) => [`i${i}`, input]));
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation Seed(${vars}) { ${fields} }`, variables }),
    });
    const body = (await res.json()) as { errors?: unknown };
    if (res.status !== 200 || body.errors) throw new Error(`seeding: ${res.status} ${JSON.stringify(body)}`);
  };
  const queue = [...batches];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let batch = queue.shift(); batch; batch = queue.shift()) await send(batch);
    }),
  );
}

/** CPU time (clock ticks) used so far by every Chromium process on the machine. */
function chromiumTicks(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).includes('chrom')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks;
}

/**
 * Resolves once the browser has finished starting: its processes used at most 20 ms of CPU in half a
 * second (or after 30 s whatever they use). A Chromium launched a moment before spends seconds starting
 * its processes, and a page opened meanwhile drew in 0.9–1.35 s where one opened 5 s later drew in
 * 0.5 s: a user's browser is running already.
 */
async function browserSettled(): Promise<void> {
  const deadline = Date.now() + 30_000;
  let before = chromiumTicks();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = chromiumTicks();
    if (now - before <= 2) return;
    before = now;
  }
}

/**
 * The figures, measured in the page and printed (not asserted: CI shares 2 cores): the fleet page
 * with 1,000 clients, and a 7-day chart at 1-minute resolution (10,080 points per line).
 */
describe.skipIf(!hasChromium())('the console at scale', () => {
  let server: Started;
  let browsing: Browsing;
  beforeAll(async () => {
    server = await npmStart({ LOCAL_AGENT: 'off' });
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    await report(
      server.url,
      Array.from({ length: CLIENTS }, (_, i) =>
        reportInput({
          clientId: `host-${String(i).padStart(4, '0')}`,
          hostname: `host-${String(i).padStart(4, '0')}.example`,
          windowStart: new Date(minute - 60_000).toISOString(),
          windowEnd: new Date(minute).toISOString(),
        }),
      ),
    );
    browsing = await openBrowser(server.url);
    await browserSettled();
  }, 600_000);
  afterAll(async () => {
    await browsing?.close();
    await server?.stop();
  });

  it(`lists ${CLIENTS} clients a page at a time and is interactive (measured, printed)`, async () => {
    const { page } = browsing;
    await page.goto(`${server.url}/`);
    await page.locator('tr[data-client="host-0000"]').waitFor(LONG);
    const interactive = (await markTime(page, 'fleet-interactive')) as number;
    const started = (await markTime(page, 'fleet-start')) as number;
    const script = (await markTime(page, 'console-start')) as number;
    await expect.poll(() => page.locator('.pager span').textContent(), LONG).toBe(`1–50 of ${CLIENTS}`);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('tr[data-client="host-0050"]').waitFor(LONG);
    // From the click's handler to the page of rows drawn, in the page.
    const paged = await page.evaluate(() => {
      const clicked = performance.getEntriesByName('fleet-next-page').at(-1)?.startTime ?? Number.NaN;
      const drawn = performance.getEntriesByName('fleet-rendered').find((m) => m.startTime >= clicked);
      return (drawn?.startTime ?? Number.NaN) - clicked;
    });
    await page.getByLabel('Filter by name').fill('host-0999');
    await expect.poll(() => page.locator('tbody tr').count(), LONG).toBe(1);
    console.log(
      `fleet page with ${CLIENTS} clients: interactive ${Math.round(interactive)} ms after navigation (script running at ${Math.round(script)} ms, signed in at ${Math.round(started)} ms, clients read and the table drawn ${Math.round(interactive - started)} ms later); next page drawn ${paged.toFixed(1)} ms after the click`,
    );
    expect(browsing.errors).toEqual([]);
  });

  it('draws a 7-day chart at 1-minute resolution (measured, printed)', { timeout: 600_000 }, async () => {
    const { page } = browsing;
    // Seeded here, not before the fleet's figure: the store is busy a while after 10,080 windows.
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    await report(
      server.url,
      Array.from({ length: WEEK_MINUTES }, (_, i) => {
        const start = minute - (WEEK_MINUTES - i) * 60_000;
        const wave = 0.5 + 0.4 * Math.sin(i / 90);
        const stat = (mean: number) => ({
          mean,
          variance: 0.001,
          min: mean * 0.9,
          max: Math.min(1, mean * 1.1),
        });
        return reportInput({
          clientId: 'week-host',
          hostname: 'week.example',
          windowStart: new Date(start).toISOString(),
          windowEnd: new Date(start + 60_000).toISOString(),
          cpu: { utilization: stat(wave), cores: [stat(wave * 0.8), stat(Math.min(1, wave * 1.2))] },
          // CPU only: fewer points to store, the chart measured is the CPU one.
          memory: undefined,
          load: undefined,
        });
      }),
    );

    await page.goto(`${server.url}/#/host/week-host`);
    const cpu = page.locator('figure.chart[data-title="cpu (ratio)"]');
    await expect.poll(async () => Number(await cpu.getAttribute('data-points')), LONG).toBeGreaterThan(0);
    await page.getByLabel('Resample', { exact: true }).selectOption('1m');
    await page.getByRole('button', { name: '7d', exact: true }).click();
    await expect
      .poll(async () => Number(await cpu.getAttribute('data-points')), LONG)
      .toBeGreaterThanOrEqual(WEEK_MINUTES - 10);
    const drawn = await page.evaluate(() => {
      const data = performance.getEntriesByName('host-data').at(-1)?.startTime ?? 0;
      const marks = performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith('chart-drawn:') && m.startTime >= data);
      const cpuMark =
        marks.filter((m) => m.name === 'chart-drawn:cpu (ratio)').at(-1)?.startTime ?? Number.NaN;
      return {
        all: Math.max(...marks.map((m) => m.startTime)) - data,
        cpu: cpuMark - data,
        charts: new Set(marks.map((m) => m.name)).size,
      };
    });
    const lines = await cpu.locator('.u-legend .u-series').count();
    console.log(
      `7-day chart at 1-minute resolution: cpu (ratio) with ${lines - 1} lines × ${await cpu.getAttribute('data-points')} points drawn in ${drawn.cpu.toFixed(1)} ms; all ${drawn.charts} charts in ${drawn.all.toFixed(1)} ms`,
    );
    expect(browsing.errors).toEqual([]);
  });
});
