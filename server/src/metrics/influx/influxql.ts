import { catalogue, type Metric } from '@metrics-collector/common/catalogue';
import type { Aggregate, SeriesSelector } from '@metrics-collector/schema/metrics/types';
import { integer } from './line-protocol.js';

/** How a read groups windows: by time bucket (`history`) or by client (`summarize`). */
export type Grouping = { width: number } | 'client';

/** A double-quoted InfluxQL identifier. */
export function identifier(name: string): string {
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/** A single-quoted InfluxQL string literal. */
export function stringLiteral(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}'`;
}

/** A number literal InfluxQL parses (no exponent notation). */
function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(20).replace(/\.?0+$/, '') : text;
}

/** The WHERE clause of a selector: time range, overall or per-core series, client. */
export function whereClause(selector: SeriesSelector): string {
  const spec = catalogue[selector.metric];
  const parts = [`time >= ${integer(selector.from)}ms`, `time < ${integer(selector.to)}ms`];
  if (!spec.perCore) parts.push(`"core" = ''`);
  else if (selector.core === null) parts.push(`"core" != ''`);
  else parts.push(`"core" = '${integer(selector.core)}'`);
  if (selector.clientId !== null) parts.push(`"client_id" = ${stringLiteral(selector.clientId)}`);
  return parts.join(' AND ');
}

const RANKED: Partial<Record<Aggregate, (mean: string) => string>> = {
  MEDIAN: (mean) => `median(${mean})`,
  P90: (mean) => `percentile(${mean}, 90)`,
  P95: (mean) => `percentile(${mean}, 95)`,
  P99: (mean) => `percentile(${mean}, 99)`,
  LAST: (mean) => `last(${mean})`,
};

function groupBy(grouping: Grouping): string {
  return grouping === 'client'
    ? 'GROUP BY "client_id"'
    : `GROUP BY time(${integer(grouping.width)}ms) fill(none)`;
}

/**
 * The statement behind `history` (grouping by time) and `summarize` (grouping by client): InfluxQL's own
 * aggregates over the stored fields, no subquery. `s` and `q` are Σx and Σx² over the observations, from
 * the fields `_sum` and `_sum_squares` every window carries.
 */
export function flatStatement(selector: SeriesSelector, grouping: Grouping, aggregate: Aggregate): string {
  const spec = catalogue[selector.metric as Metric];
  const f = (stat: string) => identifier(`${spec.field}_${stat}`);
  const ranked = RANKED[aggregate];
  return (
    `SELECT sum(${f('count')}) AS "n", sum(${f('sum')}) AS "s", sum(${f('sum_squares')}) AS "q", ` +
    `min(${f('min')}) AS "lo", max(${f('max')}) AS "hi", count(${f('mean')}) AS "k", ` +
    `max(${f('mean')}) AS "m1", max(${f('variance')}) AS "v1"${ranked ? `, ${ranked(f('mean'))} AS "r"` : ''} ` +
    `FROM ${identifier(spec.kind)} WHERE ${whereClause(selector)} ${groupBy(grouping)}`
  );
}

/**
 * The precise pass: per group Σn(m − c) and Σn(v + (m − c)²) for a shift c near the groups' means, which
 * InfluxQL can only compute per window in a subquery. `clients` narrows a fleet summary to those clients.
 */
export function shiftedStatement(
  selector: SeriesSelector,
  shift: number,
  grouping: Grouping,
  clients: string[] | null,
): string {
  const spec = catalogue[selector.metric as Metric];
  const f = (stat: string) => identifier(`${spec.field}_${stat}`);
  const deviation = `(${f('mean')} - ${numberLiteral(shift)})`;
  const only = clients
    ? ` AND (${clients.map((c) => `"client_id" = ${stringLiteral(c)}`).join(' OR ')})`
    : '';
  const inner =
    `SELECT ${f('count')} * ${deviation} AS "s", ${f('count')} * (${f('variance')} + ${deviation} * ${deviation}) AS "q" ` +
    `FROM ${identifier(spec.kind)} WHERE ${whereClause(selector)}${only}${grouping === 'client' ? ' GROUP BY "client_id"' : ''}`;
  return (
    `SELECT sum("s") AS "s", sum("q") AS "q" FROM (${inner}) ` +
    `WHERE time >= ${integer(selector.from)}ms AND time < ${integer(selector.to)}ms ${groupBy(grouping)}`
  );
}

/** The statement that finds the newest stored window of the given measurements (retention). */
export function newestStatement(measurements: readonly string[]): string {
  return `SELECT * FROM ${measurements.map(identifier).join(',')} ORDER BY time DESC LIMIT 1`;
}

/** The statement that deletes every window before `cutoff` (epoch ms). */
export function deleteBeforeStatement(cutoff: number): string {
  return `DELETE WHERE time < ${integer(cutoff)}ms`;
}

/** The statement that creates a database (idempotent). */
export function createDatabaseStatement(database: string): string {
  return `CREATE DATABASE ${identifier(database)}`;
}
