import type { SeriesPoint } from '@metrics-collector/schema/metrics/types';
import { storeUnavailable } from '../../store-errors.js';
import { storageName } from './reads.js';
import { ThreadClient } from './thread-client.js';
import type { WriteAnswer, WriteRequest } from './write-protocol.js';
import { type PackedItems, POINT_NUMBERS } from './writes.js';

/** Called once per group committed, on the main thread. */
export type GroupObserver = (writes: number, points: number, seconds: number) => void;

interface Pending {
  points: readonly SeriesPoint[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Groups sent to the write thread and not yet answered, at most. The thread commits every group that
 * arrived while it was busy in one transaction (write-thread.ts), so groups sent while it commits cost no
 * extra fsync: they only spare the thread the wait for the main thread to hear its answer and send the
 * next one (measured against one group in flight in docs/storage.md).
 */
const GROUPS_IN_FLIGHT = 8;

/**
 * The main thread's side of the write thread (write-thread.ts). Group commit: the writes submitted in a
 * turn of the event loop go to the thread together, as a group, on the next turn (up to
 * `GROUPS_IN_FLIGHT` unanswered; beyond, they wait for an answer and go as one larger group), and the
 * thread commits all the groups waiting for it in one transaction. A slow fsync therefore makes
 * transactions larger instead of queueing them. A write's promise settles when the thread answered for its
 * group: after the commit, or with STORE_UNAVAILABLE (`NOT_STORED`) when its transaction rolled back. A
 * thread that dies fails what it held (`UNKNOWN`: a commit may have finished) and is started again by the
 * next request.
 */
export class WriteThread {
  readonly #keyIds = new KeyIds();
  readonly #thread: ThreadClient<WriteRequest, WriteAnswer>;
  #pending: Pending[] = [];
  #groupsInFlight = 0;
  #scheduled = false;
  #closed = false;

  /** Hears each group once committed (the server's /metrics): its writes, points and seconds in flight. */
  readonly #onGroup: GroupObserver | undefined;

  constructor(dataDir: string, onGroup?: GroupObserver) {
    this.#onGroup = onGroup;
    // A thread started again has no series keys: the next group sends them all.
    this.#thread = new ThreadClient('write-thread', { dataDir }, () => {
      this.#keyIds.sent = 0;
    });
  }

  write(points: readonly SeriesPoint[]): Promise<void> {
    if (this.#closed) return Promise.reject(storeUnavailable(new Error('store closed'), 'NOT_STORED'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ points, resolve, reject });
      if (this.#groupsInFlight < GROUPS_IN_FLIGHT && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#sendGroup());
      }
    });
  }

  /**
   * Merges the inbox into `blocks` in the thread, a chunk per transaction: every window, or (`all` false)
   * only what is due (inbox.ts, `MERGE_KEEP`). Resolves with the windows moved.
   */
  async merge(all: boolean): Promise<number> {
    return this.#call({ op: 'merge', all });
  }

  async enforceRetention(retention: number): Promise<number> {
    return this.#call({ op: 'retention', retention });
  }

  /** Lets the group in flight finish, fails writes not sent yet, and stops the thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const unsent = this.#pending;
    this.#pending = [];
    for (const p of unsent) p.reject(storeUnavailable(new Error('store closed'), 'NOT_STORED'));
    if (!this.#thread.running) return;
    await this.#thread.request({ op: 'close' }).catch(() => {});
    await this.#thread.stop(new Error('store closed'));
  }

  #sendGroup(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0 || this.#closed) return;
    const group = this.#pending;
    this.#pending = [];
    this.#groupsInFlight += 1;
    const settle = () => {
      this.#groupsInFlight -= 1;
      if (this.#pending.length > 0 && !this.#scheduled) this.#sendGroup();
    };
    // Started before packing: a thread started again needs every key from the first.
    this.#thread.start();
    const items = this.#keyIds.pack(group.map((p) => p.points));
    const points = items.numbers.length / POINT_NUMBERS;
    const sent = performance.now();
    this.#thread.request({ op: 'write', items }, [items.numbers.buffer as ArrayBuffer]).then(
      (answer) => {
        // Per item, or the one error that stopped the whole group.
        const errors =
          'errors' in answer ? answer.errors : group.map(() => ('error' in answer ? answer.error : null));
        group.forEach((p, i) => {
          const error = errors[i];
          if (error === null || error === undefined) p.resolve();
          else p.reject(storeUnavailable(new Error(String(error)), 'NOT_STORED'));
        });
        this.#onGroup?.(group.length, points, (performance.now() - sent) / 1000);
        settle();
      },
      (error: unknown) => {
        for (const p of group) p.reject(storeUnavailable(error, 'UNKNOWN'));
        settle();
      },
    );
  }

  /** A merge's or retention's count. */
  async #call(request: WriteRequest): Promise<number> {
    if (this.#closed) throw new Error('store closed');
    const answer = await this.#thread.request(request);
    if ('error' in answer) throw new Error(answer.error);
    return 'value' in answer ? answer.value : 0;
  }
}

/** A series (client, metric, core) as one string: `<storage name>\0<core or -1>\0<client id>`. */
const seriesKey = (p: SeriesPoint): string =>
  `${storageName(p.metric)}\u0000${p.core ?? -1}\u0000${p.clientId}`;

/**
 * The key ids of the series this process wrote: a key crosses to the write thread once (`PackedItems`);
 * `sent` counts the keys the current thread has (a thread started again gets them all with its first group).
 * Ids are looked up per client, then per metric and core: the same client id and metric name strings come
 * back with every point of a report, so no key string is built for a series seen before (building and
 * hashing one per point was most of the cost of packing).
 */
class KeyIds {
  readonly #ids = new Map<string, Map<string, number[]>>();
  readonly #keys: string[] = [];
  sent = 0;

  #idOf(p: SeriesPoint): number {
    let byMetric = this.#ids.get(p.clientId);
    if (byMetric === undefined) {
      byMetric = new Map();
      this.#ids.set(p.clientId, byMetric);
    }
    let byCore = byMetric.get(p.metric);
    if (byCore === undefined) {
      byCore = [];
      byMetric.set(p.metric, byCore);
    }
    const slot = (p.core ?? -1) + 1;
    let id = byCore[slot];
    if (id === undefined) {
      id = this.#keys.length;
      this.#keys.push(seriesKey(p));
      byCore[slot] = id;
    }
    return id;
  }

  /** Packs the points of `items` into one buffer. */
  pack(items: readonly (readonly SeriesPoint[])[]): PackedItems {
    let total = 0;
    for (const item of items) total += item.length;
    const numbers = new Float64Array(total * POINT_NUMBERS);
    let o = 0;
    for (const item of items) {
      for (const p of item) {
        numbers[o] = this.#idOf(p);
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
