import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WindowAggregator } from '../../agent/src/aggregator.js';
import { type Collector, sample } from '../../agent/src/collectors/index.js';
import { toReport } from '../../agent/src/report.js';
import { REPORT_MUTATION } from '../../testing/fixtures.js';
import {
  hasBinary,
  influxdBinary,
  influxQuery,
  type RealServer,
  startInfluxd,
} from '../../testing/real-servers.js';
import { createSqliteMetricStore } from '../src/metrics/sqlite/store.js';
import { graphql, startTestServer, type TestServer } from './helpers.js';

/**
 * Adding a metric (docs/architecture.md): one catalogue entry and one collector emitting its input path,
 * nothing else. The test catalogue is the real one plus `MEMORY_CACHED_BYTES` at `memory.cachedBytes`,
 * stored as `memory` / `cached`; the schema, the ingest service, the stores and the agent's report all
 * read it from this module.
 */
vi.mock('@metrics-collector/common/catalogue', async (importOriginal) => {
  const original = await importOriginal<typeof import('@metrics-collector/common/catalogue')>();
  const catalogue = {
    ...original.catalogue,
    MEMORY_CACHED_BYTES: {
      kind: 'memory',
      field: 'cached',
      unit: 'bytes',
      perCore: false,
      range: [0, Number.MAX_SAFE_INTEGER],
      description: 'Memory the page cache holds, in bytes.',
      input: { path: 'memory.cachedBytes' },
    },
  } as const;
  // What the module derives from `catalogue` is derived again from the extended one.
  return {
    ...original,
    catalogue,
    metricNames: Object.keys(catalogue),
    isMetric: (name: string) => Object.hasOwn(catalogue, name),
  };
});

const START = Date.UTC(2026, 0, 1);

/** The new collector: a memory collector that also emits the new series under its input path. */
function cachedMemory(): Collector {
  let n = 0;
  return {
    name: 'memory',
    collect: async () => ({ 'memory.usedBytes': 2e9, 'memory.cachedBytes': 1e9 + 1e8 * (n++ % 3) }),
  };
}

/** A window of three samples of the new collector, as the agent reports it. */
async function agentReport(clientId: string) {
  const windows = new WindowAggregator();
  const collectors = [cachedMemory()];
  for (let k = 0; k < 3; k += 1) await sample(collectors, windows, (_name, error) => Promise.reject(error));
  return toReport({ clientId }, { start: START, end: START + 10_000 }, windows.close());
}

it("puts a collector's sample named by the new input path into the agent's report", async () => {
  const report = await agentReport('host-a');
  expect(report?.memory).toEqual({
    usedBytes: { mean: 2e9, variance: 0, min: 2e9, max: 2e9 },
    cachedBytes: { mean: 1.1e9, variance: 6.66666667e15, min: 1e9, max: 1.2e9 },
  });
});

let influxd: RealServer | undefined;
beforeAll(async () => {
  if (hasBinary(influxdBinary)) influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

const stores: { name: string; available: boolean; start(): Promise<TestServer> }[] = [
  {
    name: 'SQLite',
    available: true,
    start: () => {
      // Reads inline: a read thread would load the real catalogue module, not this test's.
      const dataDir = mkdtempSync(join(tmpdir(), 'mc-test-'));
      const metrics = createSqliteMetricStore({
        dataDir,
        retention: null,
        retentionInterval: 0,
        reads: 'inline',
      });
      return startTestServer({ dataDir, metrics });
    },
  },
  {
    name: 'InfluxDB',
    available: hasBinary(influxdBinary),
    start: () =>
      startTestServer({
        env: {
          STORE: 'influxdb',
          INFLUX_API: 'v1',
          INFLUX_URL: (influxd as RealServer).url,
          INFLUX_DATABASE: `added_metric_${process.pid}`,
        },
      }),
  },
];

describe.each(stores)('a series added to the catalogue, stored in $name,', ({ name, available, start }) => {
  let srv: TestServer;
  beforeAll(async () => {
    if (available) srv = await start();
  });
  afterAll(() => srv?.stop());

  it.skipIf(!available)(
    'is accepted in a report, stored under its storage name and queried back',
    async () => {
      const report = await agentReport('host-a');
      const ack = await graphql(srv.url, REPORT_MUTATION, { input: report });
      expect(ack).toEqual({
        status: 200,
        body: { data: { reportMetrics: expect.objectContaining({ points: 2 }) } },
      });

      const history = await graphql(
        srv.url,
        `query ($from: DateTime!, $to: DateTime!) {
        metricHistory(metric: MEMORY_CACHED_BYTES, clientId: "host-a", from: $from, to: $to) {
          metric points { count mean variance min max }
        }
        metrics { metric kind unit }
      }`,
        { from: new Date(START).toISOString(), to: new Date(START + 60_000).toISOString() },
      );
      expect(history.body.errors).toBeUndefined();
      expect(history.body.data.metricHistory).toEqual({
        metric: 'MEMORY_CACHED_BYTES',
        points: [{ count: 3, mean: 1.1e9, variance: 6.66666667e15, min: 1e9, max: 1.2e9 }],
      });
      expect(history.body.data.metrics).toContainEqual({
        metric: 'MEMORY_CACHED_BYTES',
        kind: 'memory',
        unit: 'bytes',
      });

      // Stored as `memory` / `cached`: a series `memory.cached` in SQLite, fields `cached_*` of `memory` in InfluxDB.
      if (name === 'SQLite') {
        const db = new Database(join(srv.dataDir, 'metrics.db'), { readonly: true });
        try {
          const metrics = db.prepare('SELECT DISTINCT metric FROM series ORDER BY metric').pluck().all();
          expect(metrics).toEqual(['memory.cached', 'memory.used']);
        } finally {
          db.close();
        }
      } else {
        const answer = await influxQuery(
          (influxd as RealServer).url,
          'SELECT cached_mean, cached_count FROM memory',
          `added_metric_${process.pid}`,
        );
        expect(answer.results[0]?.series).toEqual([
          { name: 'memory', columns: ['time', 'cached_mean', 'cached_count'], values: [[START, 1.1e9, 3]] },
        ]);
      }
    },
  );

  it.skipIf(!available)('is checked against its range, and the error names its field', async () => {
    const input = {
      ...(await agentReport('host-b')),
      memory: { cachedBytes: { mean: -1, variance: 0, min: -1, max: -1 } },
    };
    const answer = await graphql(srv.url, REPORT_MUTATION, { input });
    expect(answer.body.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: expect.stringMatching(/^input\.memory\.cachedBytes\./) },
    });
  });
});
