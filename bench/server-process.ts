/**
 * One server under test, in its own process so that the load generator does not share its event loop.
 * `BenchHost` runs it bundled (bench/servers.ts); `node --import tsx bench/server-process.ts ...` runs it too.
 *
 *   server-process raw
 *   server-process store <dataDir>
 *   server-process prototype <dataDir>
 *   server-process app <dataDir> [--seed-history <fromMs> [--seed-clients <n>]]
 *     [--sightings <fromMs> <clients>] [--env <json>] [--plain-yoga] [--loop-delay <file>]
 *
 * `store` is the store's floor (`store-floor.ts`): bare `node:http` writing the REST report through the
 * embedded store and nothing else of the server. `prototype` is issue 13's prototype (`prototype.ts`).
 *
 * `app` is the real server: `buildApp(loadConfig({ PORT: '0', DATA_DIR, LOG_LEVEL: 'warn', ...env }))`, served by `listen`;
 * `--env` adds configuration variables (`{"STORE":"influxdb",…}`).
 * `--seed-history` first stores `HISTORY_WINDOWS` 10-second windows from `fromMs` of one client, or of
 * `--seed-clients` clients, through `app.metrics.write` (`seed.ts`). `--sightings` only records the
 * sightings of a fleet whose metrics were seeded into the file beforehand (`history-fleet.ts`).
 *
 * `--plain-yoga` takes the server's GraphQL fast path out: yoga (with the server's plugins) is the
 * `node:http` listener of `/graphql`, everything else goes to the app's handler as usual.
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
import { buildApp } from '@metrics-collector/server/app';
import { loadConfig } from '@metrics-collector/server/config';
import { listen } from '@metrics-collector/server/listen';
import { createPrototype } from './prototype.js';
import { createRawServer } from './raw-server.js';
import { recordSightings, seedClients, seedHistory } from './seed.js';
import { createStoreFloor } from './store-floor.js';

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
} else if ((mode === 'store' || mode === 'prototype') && dataDir) {
  const bare = mode === 'store' ? createStoreFloor(dataDir) : createPrototype(dataDir);
  bare.server.listen(0, '127.0.0.1', () => ready({ port: (bare.server.address() as AddressInfo).port }));
  process.once('SIGTERM', () => {
    bare.server.close();
    bare.server.closeAllConnections();
    void bare.close().then(() => process.exit(0));
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
    const clientsAt = rest.indexOf('--seed-clients');
    const clients = clientsAt === -1 ? 1 : Number(rest[clientsAt + 1]);
    if (!Number.isSafeInteger(clients) || clients < 1)
      throw new Error('--seed-clients needs a positive integer');
    seedMs = await seedHistory(app, from, clients);
  }
  const sightingsAt = rest.indexOf('--sightings');
  if (sightingsAt !== -1) {
    // The metrics are in the file already (`history-fleet.ts`); the clients' sightings are stored here.
    const [from, clients] = [Number(rest[sightingsAt + 1]), Number(rest[sightingsAt + 2])];
    await recordSightings(app, from, seedClients(clients));
  }
  const loopAt = rest.indexOf('--loop-delay');
  if (loopAt !== -1) watchEventLoop(rest[loopAt + 1] as string);
  const { port, close, server } = await listen(app, config);
  if (rest.includes('--plain-yoga')) {
    // No fast path: yoga is the listener of `/graphql` (it reads, parses and runs every request itself).
    server.off('request', app.handleRequest);
    server.on('request', (req, res) =>
      (req.url ?? '').startsWith('/graphql')
        ? app.yoga.requestListener(req, res)
        : app.handleRequest(req, res),
    );
  }
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
  console.error(
    'usage: server-process.ts raw | store <dataDir> | prototype <dataDir> | app <dataDir> [--seed-history <fromMs> [--seed-clients <n>]] [--env <json>] [--plain-yoga]',
  );
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
