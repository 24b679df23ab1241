/**
 * One server under test, in its own process so that the load generator does not share its event loop.
 *
 *   node --import tsx bench/server-process.ts raw
 *   node --import tsx bench/server-process.ts app <dataDir> [--seed-history <fromMs>] [--env <json>]
 *
 * `app` is the real server: `buildApp(loadConfig({ PORT: '0', DATA_DIR, LOG_LEVEL: 'warn', ...env }))`, served by `listen`;
 * `--env` adds configuration variables (`{"STORE":"influxdb",…}`).
 * `--seed-history` first stores `HISTORY_WINDOWS` 10-second windows of one client from `fromMs` through
 * `app.metrics.write` (the store's own write path, group-committed).
 *
 * `--loop-delay <file>` watches the event loop (`monitorEventLoopDelay`, 1 ms resolution): each SIGUSR2
 * writes `{"maxMs":…,"p99Ms":…}` since the previous one to `file` and starts over.
 *
 * When listening it prints one line `BENCH_READY {"port":…,"seedMs":…}` on stdout; the server's own logs
 * (pino JSON lines) go to stdout too. SIGTERM stops it cleanly.
 */
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { defaultLimits } from '@metrics-collector/schema/limits';
import { toPoints } from '@metrics-collector/schema/metrics/service';
import { buildApp } from '@metrics-collector/server/app';
import { loadConfig } from '@metrics-collector/server/config';
import { listen } from '@metrics-collector/server/listen';
import { createRawServer } from './raw-server.js';
import { HISTORY_WINDOWS, historyReport } from './workload.js';

const [mode, dataDir, ...rest] = process.argv.slice(2);

const ready = (info: Record<string, unknown>) =>
  process.stdout.write(`BENCH_READY ${JSON.stringify(info)}\n`);

if (mode === 'raw') {
  const server = createRawServer();
  server.listen(0, '127.0.0.1', () => ready({ port: (server.address() as AddressInfo).port }));
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
} else if (mode === 'app' && dataDir) {
  const envAt = rest.indexOf('--env');
  const extra = envAt === -1 ? {} : (JSON.parse(rest[envAt + 1] ?? '{}') as Record<string, string>);
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extra });
  const app = buildApp(config);
  let seedMs: number | undefined;
  const seedAt = rest.indexOf('--seed-history');
  if (seedAt !== -1) {
    const from = Number(rest[seedAt + 1]);
    if (!Number.isSafeInteger(from)) throw new Error('--seed-history needs the first window start, epoch ms');
    const started = performance.now();
    const ctx = { clock: { now: () => Date.now() }, limits: defaultLimits };
    const perChunk = 8_640; // one day per transaction group
    for (let first = 0; first < HISTORY_WINDOWS; first += perChunk) {
      const writes: Promise<void>[] = [];
      for (let i = first; i < Math.min(first + perChunk, HISTORY_WINDOWS); i += 1) {
        writes.push(app.metrics.write(toPoints(ctx, historyReport(from, i))));
      }
      await Promise.all(writes);
    }
    const last = historyReport(from, HISTORY_WINDOWS - 1);
    await app.state.recordSighting({
      id: last.clientId,
      hostname: null,
      osType: last.osType ?? null,
      osVersion: last.osVersion ?? null,
      coreCount: last.cpu?.cores?.length ?? null,
      seenAt: last.windowEnd.getTime(),
    });
    seedMs = performance.now() - started;
  }
  const loopAt = rest.indexOf('--loop-delay');
  if (loopAt !== -1) watchEventLoop(rest[loopAt + 1] as string);
  const { port, close } = await listen(app, config);
  ready({ port, seedMs });
  process.once('SIGTERM', () => {
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
} else {
  console.error('usage: server-process.ts raw | app <dataDir> [--seed-history <fromMs>] [--env <json>]');
  process.exit(2);
}

/** The longest the event loop was blocked between two SIGUSR2, written to `file` at each. */
function watchEventLoop(file: string) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  process.on('SIGUSR2', () => {
    const figures = { maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 };
    histogram.reset();
    writeFileSync(file, JSON.stringify(figures));
  });
}
