import type {
  Aggregate,
  Bucket,
  ClientSummary,
  PooledStats,
  SeriesSelector,
} from '@metrics-collector/schema/metrics/types';
import { aggregateValue } from '@metrics-collector/schema/metrics/types';
import type { InfluxConnection, Row } from './connection.js';
import { flatStatement, type Grouping, shiftedStatement } from './influxql.js';
import { storable } from './line-protocol.js';

interface Group {
  time: number;
  clientId: string;
  stats: PooledStats;
}

/**
 * History and summaries with InfluxQL. A flat InfluxQL aggregation over the stored sums answers most
 * groups; those where Σx²/N − M² would lose digits to cancellation get a second, shifted pass
 * (docs/storage.md).
 */
export class InfluxReads {
  readonly #connection: InfluxConnection;

  constructor(connection: InfluxConnection) {
    this.#connection = connection;
  }

  async history(selector: SeriesSelector, width: number, aggregate: Aggregate): Promise<Bucket[]> {
    const groups = await this.#pooled(selector, { width }, aggregate);
    return groups.map(({ time, stats }) => ({ start: time, ...stats }) satisfies Bucket);
  }

  async summarize(selector: SeriesSelector, aggregate: Aggregate): Promise<ClientSummary[]> {
    const groups = await this.#pooled(selector, 'client', aggregate);
    return groups
      .map(({ clientId, stats }) => ({ clientId, ...stats }) satisfies ClientSummary)
      .sort((a, b) => compareBytes(a.clientId, b.clientId));
  }

  /** Each group's pooled statistics: the flat statement, then `#refine` for the ill-conditioned ones. */
  async #pooled(selector: SeriesSelector, grouping: Grouping, aggregate: Aggregate): Promise<Group[]> {
    if (!storable(selector.clientId)) return [];
    await this.#connection.ensureDatabase();
    const [result] = await this.#connection.query(flatStatement(selector, grouping, aggregate));
    const groups: (Group & { row: Row })[] = [];
    for (const series of result ?? []) {
      for (const row of series.rows) {
        const stats = pooledStats(row, aggregate);
        if (stats)
          groups.push({ time: row.time as number, clientId: series.tags.client_id ?? '', row, stats });
      }
    }
    const unstable = groups.filter((g) => !wellConditioned(g.row, g.stats));
    if (unstable.length > 0) await this.#refine(selector, grouping, aggregate, unstable);
    return groups;
  }

  /**
   * The second pass for ill-conditioned groups: Σn(m − c) and Σn(v + (m − c)²) with c the median of their
   * pooled means, over just their time span (history) or clients (summary).
   */
  async #refine(selector: SeriesSelector, grouping: Grouping, aggregate: Aggregate, unstable: Group[]) {
    const means = unstable.map((g) => g.stats.mean).sort((x, y) => x - y);
    const shift = means[means.length >> 1] as number;
    let narrowed = selector;
    let clients: string[] | null = null;
    if (grouping === 'client') {
      if (selector.clientId === null && unstable.length <= 100) clients = unstable.map((g) => g.clientId);
    } else {
      const starts = unstable.map((g) => g.time);
      narrowed = {
        ...selector,
        from: Math.max(selector.from, Math.min(...starts)),
        to: Math.min(selector.to, Math.max(...starts) + grouping.width),
      };
    }
    const [result] = await this.#connection.query(shiftedStatement(narrowed, shift, grouping, clients));
    const sums = new Map<string, Row>();
    for (const series of result ?? []) {
      for (const row of series.rows) {
        sums.set(grouping === 'client' ? (series.tags.client_id ?? '') : String(row.time), row);
      }
    }
    for (const group of unstable) {
      const row = sums.get(grouping === 'client' ? group.clientId : String(group.time));
      if (!row || typeof row.s !== 'number' || typeof row.q !== 'number') continue;
      const n = group.stats.count;
      const offset = row.s / n;
      const variance = Math.max(0, row.q / n - offset * offset);
      const mean = shift + offset;
      group.stats.variance = variance;
      group.stats.mean = mean;
      if (aggregate === 'MEAN') group.stats.value = mean;
    }
  }
}

/** One group's pooled statistics from the flat statement's row; `null` for a group without windows. */
function pooledStats(row: Row, aggregate: Aggregate): PooledStats | null {
  const n = row.n as number | null;
  const k = row.k as number | null;
  if (!n || !k) return null;
  // A group of one window returns that window's own numbers, untouched by rounding (as the embedded store).
  const mean = k === 1 ? (row.m1 as number) : (row.s as number) / n;
  const variance = k === 1 ? (row.v1 as number) : Math.max(0, (row.q as number) / n - mean * mean);
  const stats = { count: n, mean, variance, min: row.lo as number, max: row.hi as number };
  return { ...stats, value: aggregateValue(stats, aggregate, row.r as number) };
}

/**
 * Whether Σx²/N − M² kept at least 9 significant digits: its rounding error grows with the number of
 * windows summed and with Σx²/N, about ε·(k + 2)·Σx²/N.
 */
function wellConditioned(row: Row, stats: PooledStats): boolean {
  const k = row.k as number;
  if (k === 1) return true;
  const meanSquare = (row.q as number) / stats.count;
  return (k + 2) * Number.EPSILON * meanSquare <= 1e-9 * stats.variance;
}

/** SQLite's order for client ids (byte order of UTF-8), so that both stores sort summaries alike. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
