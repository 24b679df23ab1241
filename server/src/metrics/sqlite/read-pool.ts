import { type ReadAnswer, type ReadRequest, unpackRows } from './read-protocol.js';
import type { MetricReads } from './reads.js';
import { ThreadClient } from './thread-client.js';

/** The reads of `MetricReads`, each answered by the read thread. */
export type ThreadReads = {
  [Op in keyof MetricReads]: (...args: Parameters<MetricReads[Op]>) => Promise<ReturnType<MetricReads[Op]>>;
};

/** More reads than this waiting for the thread are refused at once: the caller gets an error to retry. */
export const MAX_WAITING_READS = 64;

export class ReadsBusyError extends Error {
  constructor() {
    super(`${MAX_WAITING_READS} reads are waiting for the store already`);
    this.name = 'ReadsBusyError';
  }
}

/**
 * The read thread on `file` (read-thread.ts). Reads queue in the thread, one at a time; past
 * `MAX_WAITING_READS` waiting, a read is refused with `ReadsBusyError`. A thread that dies is started
 * again for the next read; the reads it held fail. The thread starts with the first read (its start,
 * loading the store's code, costs a few hundred milliseconds of CPU that a server asked no history never
 * pays) and keeps the process alive only while reads are waiting.
 */
export class ReadThread implements ThreadReads {
  readonly #thread: ThreadClient<Omit<ReadRequest, 'id'>, ReadAnswer>;
  #closed = false;

  constructor(file: string) {
    this.#thread = new ThreadClient('read-thread', { file });
  }

  history(...args: Parameters<MetricReads['history']>): Promise<ReturnType<MetricReads['history']>> {
    return this.#run('history', args);
  }

  summarize(...args: Parameters<MetricReads['summarize']>): Promise<ReturnType<MetricReads['summarize']>> {
    return this.#run('summarize', args);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#thread.stop(new Error('store closed'));
  }

  async #run(op: keyof MetricReads, args: unknown[]): Promise<never> {
    if (this.#closed) throw new Error('store closed');
    if (this.#thread.waiting >= MAX_WAITING_READS) throw new ReadsBusyError();
    const answer = await this.#thread.request({ op, args });
    if ('error' in answer) throw new Error(answer.error);
    return unpackRows(answer.numbers, answer.clientIds) as never;
  }
}

/** Starts the read thread on `file` (lazily: the worker itself starts with the first read). */
export function startReadThread(file: string): ReadThread {
  return new ReadThread(file);
}
