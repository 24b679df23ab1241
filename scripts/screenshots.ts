// `npx tsx scripts/screenshots.ts`: the README's screenshots of the web console (docs/console-*.png),
// taken in Debian's Chromium against a server started as `npm start` starts it, with a local agent
// reporting every 2 s, the original README's report, one alert rule and one command.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@metrics-collector/sdk/node';
import { npmStart, openBrowser } from '../console/test/browser.js';
import { originalReport } from '../testing/fixtures.js';

const docs = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));
const server = await npmStart({ AGENT_REPORT_INTERVAL: '2s' });
try {
  const clientId = (await server.run.waitFor((l) => l.msg === 'agent started')).clientId as string;
  execFileSync('curl', [
    '--silent',
    '--fail',
    '--header',
    'Content-Type: application/json',
    '--data',
    JSON.stringify(originalReport),
    `${server.url}/api/v1/metrics`,
  ]);
  const sdk = createClient({ url: `${server.url}/graphql` });
  await sdk.createAlertRule({
    name: 'memory above 1 %',
    metric: 'MEMORY_USED_RATIO',
    comparator: 'ABOVE',
    threshold: 0.01,
    forSeconds: 0,
  });
  await sdk.createAlertRule({
    name: 'cpu above 95 %',
    metric: 'CPU_UTILIZATION',
    comparator: 'ABOVE',
    threshold: 0.95,
    forSeconds: 60,
    severity: 'CRITICAL',
  });
  // A minute of windows, so that the charts and sparklines have lines.
  await new Promise((resolve) => setTimeout(resolve, 60_000));
  await sdk.setSamplingInterval({ clientId, intervalMs: 500 });
  await sdk.close();
  for (const scheme of ['light', 'dark'] as const) {
    const browsing = await openBrowser(server.url, { colorScheme: scheme });
    const { page } = browsing;
    await page.setViewportSize({ width: 1280, height: 760 });
    const shoot = async (hash: string, ready: string, name: string) => {
      await page.goto(`${server.url}/${hash}`);
      await page.locator(ready).first().waitFor({ timeout: 60_000 });
      // The server is new: a quarter of an hour shows its minute of windows better than an hour.
      if (hash.startsWith('#/host/')) await page.getByRole('button', { name: '15m', exact: true }).click();
      await page.waitForTimeout(1_500);
      await page.screenshot({ path: docs(`console-${name}${scheme === 'dark' ? '-dark' : ''}.png`) });
    };
    if (scheme === 'light') {
      await shoot('', 'svg.spark', 'fleet');
      await shoot(
        `#/host/${encodeURIComponent(clientId)}`,
        'figure.chart[data-points]:not([data-points="0"])',
        'host',
      );
      await shoot('#/alerts', 'table.history tr[data-state]', 'alerts');
      await shoot(`#/commands/${encodeURIComponent(clientId)}`, 'tr[data-status="APPLIED"]', 'commands');
    } else
      await shoot(
        `#/host/${encodeURIComponent(clientId)}`,
        'figure.chart[data-points]:not([data-points="0"])',
        'host',
      );
    if (browsing.errors.length) throw new Error(browsing.errors.join('\n'));
    await browsing.close();
  }
} finally {
  await server.stop();
}
