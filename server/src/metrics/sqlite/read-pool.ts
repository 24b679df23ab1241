import { Worker } from 'node:worker_threads';
import { type ReadAnswer, unpackRows } from './read-protocol.js';
import type { MetricReads } from './reads.js';
import { threadScript } from './thread-entry.js';

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
  readonly #workerData: { file: string };
  readonly #script: URL;
  readonly #waiting = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  #nextId = 0;
  #worker: Worker | null = null;
  #closed = false;

  constructor(file: string) {
    this.#script = threadScript('read-thread');
    this.#workerData = { file };
  }

  history(...args: Parameters<MetricReads['history']>): Promise<ReturnType<MetricReads['history']>> {
    return this.#run('history', args);
  }

  summarize(...args: Parameters<MetricReads['summarize']>): Promise<ReturnType<MetricReads['summarize']>> {
    return this.#run('summarize', args);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const thread = this.#worker;
    this.#worker = null;
    this.#failAll(new Error('store closed'));
    await thread?.terminate();
  }

  #run(op: keyof MetricReads, args: unknown[]): Promise<never> {
    if (this.#closed) return Promise.reject(new Error('store closed'));
    if (this.#waiting.size >= MAX_WAITING_READS) return Promise.reject(new ReadsBusyError());
    this.#worker ??= this.#start();
    this.#worker.ref();
    const id = this.#nextId++;
    const thread = this.#worker;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      thread.postMessage({ id, op, args });
    });
  }

  #start(): Worker {
    const thread = new Worker(this.#script, {
      workerData: this.#workerData,
    });
    thread.unref();
    thread.on('message', (answer: ReadAnswer) => {
      const pending = this.#waiting.get(answer.id);
      if (!pending) return;
      this.#waiting.delete(answer.id);
      if (this.#waiting.size === 0) thread.unref();
      if ('error' in answer) pending.reject(new Error(answer.error));
      else pending.resolve(unpackRows(answer.numbers, answer.clientIds));
    });
    thread.on('error', (error) => this.#failAll(error));
    thread.on('exit', (code) => {
      if (this.#worker === thread) this.#worker = null;
      this.#failAll(new Error(`the read thread stopped (exit code ${code})`));
    });
    return thread;
  }

  #failAll(error: Error): void {
    for (const { reject } of this.#waiting.values()) reject(error);
    this.#waiting.clear();
  }
}

/** Starts the read thread on `file` (lazily: the worker itself starts with the first read). */
export function startReadThread(file: string): ReadThread {
  return new ReadThread(file);
}
