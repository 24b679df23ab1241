/**
 * Prints one client's CPU utilisation over the last hour, resampled to 5 minutes, as a table.
 *
 *   npx tsx examples/query-history.ts [clientId]
 *
 * The client id comes from the first argument or METRICS_CLIENT_ID; without either, it is this machine's
 * agent, looked up in `clients` (local-client.ts). Also reads METRICS_URL (default
 * http://127.0.0.1:8888/graphql) and METRICS_TOKEN (a token with scope `read`, when auth is on).
 */
import { createClient, SdkError } from '@metrics-collector/sdk/node';
import { localClientId } from './local-client.js';

const url = process.env.METRICS_URL ?? 'http://127.0.0.1:8888/graphql';
const token = process.env.METRICS_TOKEN || undefined;

const client = createClient({ url, token });
try {
  const clientId = process.argv[2] || process.env.METRICS_CLIENT_ID || (await localClientId(client));
  if (!clientId) {
    console.error(
      'no client of this machine is registered (is its agent running?): name one, as in\n' +
        'usage: npx tsx examples/query-history.ts <clientId>  (or set METRICS_CLIENT_ID)',
    );
    process.exit(2);
  }
  const to = new Date();
  const from = new Date(to.getTime() - 60 * 60 * 1000);
  const history = await client.metricHistory({
    metric: 'CPU_UTILIZATION',
    clientId,
    from,
    to,
    resample: '5m',
  });

  const format = (value: number | null) => (value === null ? '-' : value.toFixed(3));
  const rows = history.points.map((p) => [
    p.time,
    format(p.mean),
    format(p.min),
    format(p.max),
    String(p.count),
  ]);
  const header = ['time', 'mean', 'min', 'max', 'count'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  // Time left-aligned, numbers right-aligned.
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');

  console.log(
    `${history.metric} of ${clientId}, ${history.from} .. ${history.to}, every ${history.resample}`,
  );
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  if (rows.length === 0) console.log('(no data in the last hour)');
} catch (error) {
  if (!(error instanceof SdkError)) throw error;
  console.error(`query failed (${error.kind}${error.code ? `, ${error.code}` : ''}): ${error.message}`);
  process.exitCode = 1;
} finally {
  await client.close();
}
