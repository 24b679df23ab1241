import type { Bucket, ClientSummary } from '@metrics-collector/schema/metrics/types';
import type { MetricReads } from './reads.js';

/*
 * What the main thread and the read thread (read-thread.ts) send each other: a read, and its rows packed
 * into one transferable array.
 */

/** A read the main thread asks of the read thread. */
export interface ReadRequest {
  id: number;
  op: keyof MetricReads;
  args: unknown[];
}

/**
 * A read's rows in columns: `numbers` holds `STATS.length` numbers per row (for history rows `start`
 * first), `clientIds` the summary rows' ids. A typed array moves to the main thread without copying;
 * structured-cloning ten thousand bucket objects cost the event loop tens of milliseconds.
 */
export type ReadAnswer =
  | { id: number; numbers: Float64Array; clientIds: string[] | null }
  | { id: number; error: string };

/** The numbers of a row, in order; history rows have `start` before them. */
export const STATS = ['count', 'mean', 'variance', 'min', 'max', 'value'] as const;

/** Packs rows into one Float64Array: `start` (history) then `STATS`, row after row. */
export function packRows(rows: readonly (Record<(typeof STATS)[number], number> & { start?: number })[]) {
  const width = STATS.length + 1;
  const numbers = new Float64Array(rows.length * width);
  rows.forEach((row, i) => {
    numbers[i * width] = row.start ?? 0;
    STATS.forEach((stat, k) => {
      numbers[i * width + k + 1] = row[stat];
    });
  });
  return numbers;
}

/** The rows `packRows` packed: buckets, or summaries when `clientIds` is given. */
export function unpackRows(numbers: Float64Array, clientIds: string[] | null): Bucket[] | ClientSummary[] {
  const width = STATS.length + 1;
  const rows: (Bucket | ClientSummary)[] = [];
  for (let offset = 0; offset < numbers.length; offset += width) {
    const stats = {
      count: numbers[offset + 1] as number,
      mean: numbers[offset + 2] as number,
      variance: numbers[offset + 3] as number,
      min: numbers[offset + 4] as number,
      max: numbers[offset + 5] as number,
      value: numbers[offset + 6] as number,
    };
    rows.push(
      clientIds
        ? { clientId: clientIds[offset / width] as string, ...stats }
        : { start: numbers[offset] as number, ...stats },
    );
  }
  return rows as Bucket[] | ClientSummary[];
}
