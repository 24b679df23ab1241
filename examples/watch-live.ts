/**
 * Prints one line per live event: every report (`metricReported`) and every alert transition
 * (`alertEvents`), until interrupted, or until N events with `--count N` (or METRICS_COUNT).
 *
 *   npx tsx examples/watch-live.ts [--client <clientId>] [--count N]
 *
 * Reads METRICS_URL (default http://127.0.0.1:8888/graphql; the WebSocket is the same address with ws:)
 * and METRICS_TOKEN (scope `read`, when auth is on). The first line says that the WebSocket connected.
 */
import { parseArgs } from 'node:util';
import { createClient, SdkError } from '@metrics-collector/sdk/node';

const url = process.env.METRICS_URL ?? 'http://127.0.0.1:8888/graphql';
const token = process.env.METRICS_TOKEN || undefined;
const { values } = parseArgs({
  options: { count: { type: 'string' }, client: { type: 'string' } },
});
const count = Number(values.count ?? process.env.METRICS_COUNT ?? Number.POSITIVE_INFINITY);
if (!(count > 0)) {
  console.error('usage: npx tsx examples/watch-live.ts [--client <clientId>] [--count N]');
  process.exit(2);
}
const clientId = values.client ?? process.env.METRICS_CLIENT_ID;

const client = createClient({
  url,
  token,
  // Says when the WebSocket is (re)connected; the subscriptions are sent right after.
  ws: { on: { connected: () => console.log(`connected to ${url}${clientId ? ` for ${clientId}` : ''}`) } },
});
const reports = client.subscriptions.metricReported({ clientId });
const alerts = client.subscriptions.alertEvents({ clientId });

let seen = 0;
/** Prints each event of `events` with `describe` until `count` events in all were printed. */
async function print<T>(events: AsyncIterableIterator<T>, describe: (event: T) => string) {
  for await (const event of events) {
    console.log(describe(event));
    if (++seen >= count) break;
  }
}

const stop = async () => {
  await reports.return?.();
  await alerts.return?.();
  await client.close();
};
process.once('SIGINT', () => void stop());

try {
  await Promise.race([
    print(reports, (r) => {
      const cpu = r.stats.find((s) => s.metric === 'CPU_UTILIZATION' && s.core === null);
      const summary = cpu ? ` cpu=${cpu.mean.toFixed(3)}` : '';
      return `report  ${r.clientId} ${r.windowStart} .. ${r.windowEnd} ${r.stats.length} series${summary}`;
    }),
    print(alerts, (a) => `alert   ${a.clientId} ${a.ruleName}: ${a.previous} -> ${a.state} (${a.message})`),
  ]);
} catch (error) {
  if (!(error instanceof SdkError)) throw error;
  console.error(
    `subscription failed (${error.kind}${error.code ? `, ${error.code}` : ''}): ${error.message}`,
  );
  process.exitCode = 1;
} finally {
  await stop();
}
