import { mkdirSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Issue 13's prototype, rebuilt as the issue describes it, so that every run shows what that design
 * reaches on the machine at hand: a bare `node:http` server with better-sqlite3 on the event loop, the
 * original REST report as 9 rows (CPU overall, 4 cores, and 4 more series standing in for the derived ones),
 * keyed time-first `(window_start, series_id)`, WAL, `synchronous = FULL`, one group commit per turn of the
 * event loop, 200 once committed. No merge, no history layout, no validation beyond `JSON.parse`, nothing
 * else of the server. The issue measured it at 15.8k reports/s = 0.76 of raw `node:http` (then ≈ 20k/s)
 * from 50 clients; its figure is where the target of 0.6 came from.
 */
export function createPrototype(dataDir: string): { server: Server; close(): Promise<void> } {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'prototype.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS series (
      id INTEGER PRIMARY KEY, client_id TEXT, metric TEXT, core INTEGER, UNIQUE (metric, core, client_id));
    CREATE TABLE IF NOT EXISTS points (
      window_start INTEGER, series_id INTEGER, window_end INTEGER, count INTEGER,
      mean REAL, variance REAL, min REAL, max REAL,
      PRIMARY KEY (window_start, series_id)) WITHOUT ROWID;`);
  const insertSeries = db.prepare<[string, string, number], { id: number }>(
    'INSERT INTO series (client_id, metric, core) VALUES (?, ?, ?) RETURNING id',
  );
  const insertPoint = db.prepare('INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const ids = new Map<string, number>();
  const seriesId = (client: string, metric: string, core: number): number => {
    const key = `${client}\u0000${metric}\u0000${core}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = (insertSeries.get(client, metric, core) as { id: number }).id;
      ids.set(key, id);
    }
    return id;
  };
  let pending: { rows: Row[]; res: ServerResponse }[] = [];
  const commit = db.transaction((group: typeof pending) => {
    for (const { rows } of group) {
      for (const [client, metric, core, start, end, count, mean, variance] of rows)
        insertPoint.run(start, seriesId(client, metric, core), end, count, mean, variance, mean, mean);
    }
  });
  const flush = () => {
    const group = pending;
    pending = [];
    let status = 200;
    try {
      commit(group);
    } catch {
      status = 503;
    }
    for (const { res } of group) answer(res, status);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let rows: Row[];
      try {
        rows = toRows(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        return answer(res, 400);
      }
      pending.push({ rows, res });
      if (pending.length === 1) setImmediate(flush);
    });
  });
  return { server, close: async () => void db.close() };
}

/** The windows of overall CPU the prototype stored, as the ingest bench counts them. */
export function prototypeWindows(dataDir: string): number {
  const db = new Database(join(dataDir, 'prototype.db'), { readonly: true });
  try {
    return db
      .prepare<[], number>(
        `SELECT count(*) FROM points JOIN series ON series.id = points.series_id
         WHERE metric = 'cpu.utilization' AND core = -1`,
      )
      .pluck()
      .get() as number;
  } finally {
    db.close();
  }
}

/** client, metric, core, window start and end, count, mean, variance. */
type Row = [string, string, number, number, number, number, number, number];

const answer = (res: ServerResponse, status: number) => {
  res.writeHead(status, { 'content-length': 0 });
  res.end();
};

interface CpuReport {
  user_id: string;
  start_timestamp: number;
  end_timestamp: number;
  observations_per_metric: number;
  metrics: {
    avg_utilization: number;
    var_utilization: number;
    avg_utilization_by_core: number[];
    var_utilization_by_core: number[];
  }[];
}

/** The report's 9 rows: overall, per core, and stand-ins for the derived series, padded to 9. */
function toRows(report: CpuReport): Row[] {
  const { user_id: client, start_timestamp: start, end_timestamp: end } = report;
  const count = report.observations_per_metric;
  const [cpu] = report.metrics;
  if (!cpu || !Number.isFinite(start) || !Number.isFinite(end)) throw new Error('not a CPU report');
  const rows: Row[] = [
    [client, 'cpu.utilization', -1, start, end, count, cpu.avg_utilization, cpu.var_utilization],
  ];
  cpu.avg_utilization_by_core.forEach((mean, core) => {
    rows.push([
      client,
      'cpu.utilization',
      core,
      start,
      end,
      count,
      mean,
      cpu.var_utilization_by_core[core] ?? 0,
    ]);
  });
  while (rows.length < 9) {
    rows.push([client, `cpu.derived_${rows.length}`, -1, start, end, count, cpu.avg_utilization, 0]);
  }
  return rows;
}
