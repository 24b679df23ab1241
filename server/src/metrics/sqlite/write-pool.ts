import { Worker } from 'node:worker_threads';
import type { SeriesPoint } from '@metrics-collector/schema/metrics/types';
import { storeUnavailable } from '../../store-errors.js';
import { storageName } from './reads.js';
import { threadScript } from './thread-entry.js';
import type { WriteAnswer, WriteRequest } from './write-protocol.js';
import { type PackedItems, POINT_NUMBERS } from './writes.js';

type Op = WriteRequest extends infer R ? (R extends { op: infer O } ? O : never) : never;
interface Waiting {
  resolve: (answer: WriteAnswer) => void;
  reject: (error: Error) => void;
}
interface Pending {
  points: readonly SeriesPoint[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The main thread's side of the write thread (write-thread.ts). Group commit: writes submitted while a
 * group is being committed wait, and go together as the next group once it answered (or on the next turn
 * of the event loop when none is), so a slow fsync makes groups larger instead of queueing them. A write's
 * promise settles when the thread answered for its group: after the commit, or with STORE_UNAVAILABLE
 * (`NOT_STORED`) when its transaction rolled back. A thread that dies fails what it held (`UNKNOWN`: a
 * commit may have finished) and is started again by the next request.
 */
export class WriteThread {
  readonly #dataDir: string;
  readonly #waiting = new Map<number, Waiting>();
  readonly #keyIds = new KeyIds();
  #pending: Pending[] = [];
  #groupInFlight = false;
  #scheduled = false;
  #nextId = 0;
  #worker: Worker | null = null;
  #closed = false;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  write(points: readonly SeriesPoint[]): Promise<void> {
    if (this.#closed) return Promise.reject(storeUnavailable(new Error('store closed'), 'NOT_STORED'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ points, resolve, reject });
      if (!this.#groupInFlight && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#sendGroup());
      }
    });
  }

  /**
   * Merges `recent` into `points` in the thread, a chunk per transaction: every window, or (`all` false)
   * only what is due (recent.ts, `MERGE_KEEP`). Resolves with the rows moved.
   */
  async merge(all: boolean): Promise<number> {
    return this.#count(await this.#request({ op: 'merge', all }));
  }

  async enforceRetention(retention: number): Promise<number> {
    return this.#count(await this.#request({ op: 'retention', retention }));
  }

  /** Lets the group in flight finish, fails writes not sent yet, and stops the thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const unsent = this.#pending;
    this.#pending = [];
    for (const p of unsent) p.reject(storeUnavailable(new Error('store closed'), 'NOT_STORED'));
    const worker = this.#worker;
    if (!worker) return;
    await this.#request({ op: 'close' }, true).catch(() => {});
    this.#worker = null;
    await worker.terminate();
  }

  #sendGroup(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0 || this.#closed) return;
    const group = this.#pending;
    this.#pending = [];
    this.#groupInFlight = true;
    const settle = () => {
      this.#groupInFlight = false;
      if (this.#pending.length > 0) this.#sendGroup();
    };
    // Started before packing: a thread started again needs every key from the first.
    this.#worker ??= this.#start();
    const items = this.#keyIds.pack(group.map((p) => p.points));
    this.#request({ op: 'write', items }, false, [items.numbers.buffer as ArrayBuffer]).then(
      (answer) => {
        const errors =
          'errors' in answer ? answer.errors : group.map(() => 'error' in answer && answer.error);
        group.forEach((p, i) => {
          const error = errors[i];
          if (error === null || error === undefined) p.resolve();
          else p.reject(storeUnavailable(new Error(String(error)), 'NOT_STORED'));
        });
        settle();
      },
      (error: unknown) => {
        for (const p of group) p.reject(storeUnavailable(error, 'UNKNOWN'));
        settle();
      },
    );
  }

  #count(answer: WriteAnswer): number {
    if ('error' in answer) throw new Error(answer.error);
    return 'value' in answer ? answer.value : 0;
  }

  #request(
    request: { op: Op } & Record<string, unknown>,
    closing = false,
    transfer: ArrayBuffer[] = [],
  ): Promise<WriteAnswer> {
    if (this.#closed && !closing) return Promise.reject(new Error('store closed'));
    this.#worker ??= this.#start();
    this.#worker.ref();
    const id = this.#nextId++;
    const worker = this.#worker;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id } as WriteRequest, transfer);
    });
  }

  #start(): Worker {
    const worker = new Worker(threadScript('write-thread'), { workerData: { dataDir: this.#dataDir } });
    this.#keyIds.sent = 0;
    worker.unref();
    worker.on('message', (answer: WriteAnswer) => {
      const waiting = this.#waiting.get(answer.id);
      if (!waiting) return;
      this.#waiting.delete(answer.id);
      if (this.#waiting.size === 0) worker.unref();
      waiting.resolve(answer);
    });
    worker.on('error', (error) => this.#failAll(error));
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = null;
      this.#failAll(new Error(`the write thread stopped (exit code ${code})`));
    });
    return worker;
  }

  #failAll(error: Error): void {
    for (const { reject } of this.#waiting.values()) reject(error);
    this.#waiting.clear();
  }
}

/** A series (client, metric, core) as one string: `<storage name>\0<core or -1>\0<client id>`. */
const seriesKey = (p: SeriesPoint): string =>
  `${storageName(p.metric)}\u0000${p.core ?? -1}\u0000${p.clientId}`;

/**
 * The key ids of the series this process wrote: a key crosses to the write thread once (`PackedItems`);
 * `sent` counts the keys the current thread has (a thread started again gets them all with its first group).
 */
class KeyIds {
  readonly #ids = new Map<string, number>();
  readonly #keys: string[] = [];
  sent = 0;

  /** Packs the points of `items` into one buffer. */
  pack(items: readonly (readonly SeriesPoint[])[]): PackedItems {
    let total = 0;
    for (const item of items) total += item.length;
    const numbers = new Float64Array(total * POINT_NUMBERS);
    let o = 0;
    for (const item of items) {
      for (const p of item) {
        const key = seriesKey(p);
        let id = this.#ids.get(key);
        if (id === undefined) {
          id = this.#keys.length;
          this.#keys.push(key);
          this.#ids.set(key, id);
        }
        numbers[o] = id;
        numbers[o + 1] = p.windowStart;
        numbers[o + 2] = p.windowEnd;
        numbers[o + 3] = p.count;
        numbers[o + 4] = p.mean;
        numbers[o + 5] = p.variance;
        numbers[o + 6] = p.min;
        numbers[o + 7] = p.max;
        o += POINT_NUMBERS;
      }
    }
    const firstKey = this.sent;
    const newKeys = this.#keys.slice(firstKey);
    this.sent = this.#keys.length;
    return { numbers, sizes: items.map((item) => item.length), newKeys, firstKey };
  }
}
