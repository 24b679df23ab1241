import { Worker } from 'node:worker_threads';
import type { Bucket, ClientSummary } from '@metrics-collector/schema/metrics/types';
import type { MetricReads } from './sqlite-metric-reads.js';

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

/** The reads of `MetricReads`, each answered by the read thread. */
export type ThreadReads = {
  [Op in keyof MetricReads]: (...args: Parameters<MetricReads[Op]>) => Promise<ReturnType<MetricReads[Op]>>;
};

export interface ReadThread extends ThreadReads {
  close(): Promise<void>;
}

/** More reads than this waiting for the thread are refused at once: the caller gets an error to retry. */
export const MAX_WAITING_READS = 64;

export class ReadsBusyError extends Error {
  constructor() {
    super(`${MAX_WAITING_READS} reads are waiting for the store already`);
    this.name = 'ReadsBusyError';
  }
}

/**
 * Starts the read thread on `file` (sqlite-read-thread.ts). Reads queue in the thread, one at a time;
 * past `MAX_WAITING_READS` waiting, a read is refused with `ReadsBusyError`. A thread that dies is
 * started again for the next read; the reads it held fail. The thread starts with the first read (its
 * start, loading the store's code, costs a few hundred milliseconds of CPU that a server asked no
 * history never pays) and keeps the process alive only while reads are waiting.
 */
export function startReadThread(file: string): ReadThread {
  const entry = new URL('./sqlite-read-thread.ts', import.meta.url);
  const boot = new URL('../worker-entry.mjs', import.meta.url);
  const workerData = { file, entry: entry.href, typescript: entry.pathname.endsWith('.ts') };
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let worker: Worker | null = null;
  let closed = false;

  const failAll = (error: Error) => {
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  const start = (): Worker => {
    const thread = new Worker(boot, { workerData });
    thread.unref();
    thread.on('message', (answer: ReadAnswer) => {
      const pending = waiting.get(answer.id);
      if (!pending) return;
      waiting.delete(answer.id);
      if (waiting.size === 0) thread.unref();
      if ('error' in answer) pending.reject(new Error(answer.error));
      else pending.resolve(unpackRows(answer.numbers, answer.clientIds));
    });
    thread.on('error', (error) => failAll(error));
    thread.on('exit', (code) => {
      if (worker === thread) worker = null;
      failAll(new Error(`the read thread stopped (exit code ${code})`));
    });
    return thread;
  };
  const run = (op: keyof MetricReads, args: unknown[]): Promise<never> => {
    if (closed) return Promise.reject(new Error('store closed'));
    if (waiting.size >= MAX_WAITING_READS) return Promise.reject(new ReadsBusyError());
    worker ??= start();
    worker.ref();
    const id = nextId++;
    const thread = worker;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      thread.postMessage({ id, op, args });
    });
  };
  return {
    history: (...args) => run('history', args),
    summarize: (...args) => run('summarize', args),
    close: async () => {
      closed = true;
      const thread = worker;
      worker = null;
      failAll(new Error('store closed'));
      await thread?.terminate();
    },
  };
}

/** The rows `packRows` packed: buckets, or summaries when `clientIds` is given. */
function unpackRows(numbers: Float64Array, clientIds: string[] | null): Bucket[] | ClientSummary[] {
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
