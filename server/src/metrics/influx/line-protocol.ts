import { catalogue } from '@metrics-collector/common/catalogue';
import { AppError } from '@metrics-collector/schema/errors';
import type { SeriesPoint } from '@metrics-collector/schema/metrics/types';

const STATS = ['mean', 'variance', 'min', 'max'] as const;

/**
 * One line per measurement, series and window: `cpu,client_id=a,core=0 utilization_mean=…,… <start ms>`.
 * Metrics of the same kind and window share a line (fields `<field>_<stat>`).
 */
export function toLines(points: readonly SeriesPoint[]): string[] {
  const lines = new Map<string, string[]>();
  for (const p of points) {
    if (!storable(p.clientId)) {
      throw new AppError('BAD_USER_INPUT', 'clientId: must not contain backslashes or control characters', {
        field: 'clientId',
      });
    }
    const spec = catalogue[p.metric];
    const key = `${spec.kind},client_id=${tagValue(p.clientId)}${p.core === null ? '' : `,core=${integer(p.core)}`} ${integer(p.windowStart)}`;
    let fields = lines.get(key);
    if (!fields) {
      fields = [];
      lines.set(key, fields);
    }
    for (const stat of STATS) fields.push(`${spec.field}_${stat}=${float(p[stat])}`);
    fields.push(`${spec.field}_count=${integer(p.count)}i`);
    // Σx and Σx² of the window's observations, so that InfluxQL can pool windows with plain sum().
    fields.push(`${spec.field}_sum=${float(p.count * p.mean)}`);
    fields.push(`${spec.field}_sum_squares=${float(p.count * (p.variance + p.mean * p.mean))}`);
  }
  return [...lines].map(([key, fields]) => {
    const space = key.lastIndexOf(' ');
    return `${key.slice(0, space)} ${fields.join(',')}${key.slice(space)}`;
  });
}

/** Tag values escape comma, equals sign and space; backslashes and control characters cannot be stored. */
function tagValue(value: string): string {
  return value.replace(/[,= ]/g, (c) => `\\${c}`);
}

function float(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(value);
}

/** An integer as line protocol and InfluxQL write it; anything else is a bug. */
export function integer(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return String(value);
}

/**
 * Whether a client id survives line protocol unchanged: InfluxDB reads a backslash in a tag value as an
 * escape, so ids with one are refused at ingest (docs/api.md) and can have no stored windows.
 */
export function storable(clientId: string | null): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
  return clientId === null || !/[\\\u0000-\u001f\u007f]/.test(clientId);
}
