/** The InfluxDB part's tables: ingest beside raw `/write` and SQLite, history beside direct InfluxQL. */
import type { InfluxFigures } from './influx.js';
import { type FleetIngest, sqliteGraphql } from './ingest.js';
import { fixed, meets, quantile, table, thousands } from './table.js';
import { HISTORY_WINDOWS } from './workload.js';

/** Prints the part; `sqlite` are the ingest part's fleets, when that part ran. */
export function printInflux(influx: InfluxFigures, sqlite: FleetIngest[] | undefined): void {
  console.log('\nInfluxDB (influxd 1.6.7, v1 API, one database per path and fleet size)\n');
  const rows: string[][] = [];
  for (const { clients, ingest } of influx.fleets) {
    const [raw, api] = ingest;
    const onSqlite = sqliteGraphql(sqlite, clients);
    for (const row of [raw, api]) {
      const ratio = row.reqPerSec / raw.reqPerSec;
      rows.push([
        row.label,
        thousands(row.reqPerSec),
        fixed(row.p50, 1),
        fixed(row.p99, 1),
        row === raw ? '(baseline)' : fixed(ratio, 2),
        row === raw ? '' : meets(ratio, 0.6),
        row === raw || !onSqlite ? '' : fixed(row.reqPerSec / onSqlite.reqPerSec, 2),
        row === raw ? '-' : fixed(row.cpuPerThousand?.server ?? Number.NaN, 3),
        fixed((row === raw ? row.cpuPerThousand?.server : row.cpuPerThousand?.influxd) ?? Number.NaN, 3),
        String(row.failed),
        row.stored === undefined ? '-' : `${thousands(row.acked)} / ${thousands(row.stored)}`,
      ]);
    }
  }
  console.log(
    table(
      [
        'path',
        'req/s',
        'p50 ms',
        'p99 ms',
        'vs raw /write',
        'target',
        'vs same path on SQLite',
        'server CPU ms/report',
        'influxd CPU ms/report',
        'failed',
        'windows acked / stored',
      ],
      rows,
      [false, true, true, true, true, false, true, true, true, true, true],
    ),
  );
  for (const { clients, ingest } of influx.fleets) {
    const [raw, api] = ingest;
    const cpu = sqliteGraphql(sqlite, clients)?.cpuPerThousand?.server;
    const pairs = api.rounds.map(
      (r, i) => `${((raw.rounds[i] ?? 0) / 1000).toFixed(1)}k/${(r / 1000).toFixed(1)}k`,
    );
    const onSqlite =
      cpu === undefined ? '' : `; server CPU per report on the embedded store ${fixed(cpu, 3)} ms`;
    console.log(`${clients} client(s), rounds, req/s raw /write / GraphQL: ${pairs.join('  ')}${onSqlite}`);
  }
  const h = influx.history;
  const base = quantile(h.timings[0]?.samples ?? [], 0.5);
  console.log(
    `\nInfluxDB history: ${HISTORY_WINDOWS.toLocaleString('en-US')} windows seeded through app.metrics.write in ${fixed(h.seedMs / 1000, 1)} s; the direct baseline posts the ${h.statements} InfluxQL statement(s) the store sent\n`,
  );
  console.log(
    table(
      [
        'history on InfluxDB: 7 days of 10 s windows -> 672 buckets',
        'median ms',
        'p95 ms',
        'vs direct',
        'target',
      ],
      h.timings.map((t, i) => {
        const ratio = quantile(t.samples, 0.5) / base;
        return [
          t.label,
          fixed(quantile(t.samples, 0.5), 2),
          fixed(quantile(t.samples, 0.95), 2),
          fixed(ratio, 2),
          i === 2 ? `\u2264 1.50 ${ratio <= 1.5 ? 'met' : 'MISSED'}` : '',
        ];
      }),
      [false, true, true, true, false],
    ),
  );
}
