import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ExecutionResult } from 'graphql';
import { type SocketSender, WireFrame } from './ws-send.js';

/**
 * Delivery groups: graphql-ws subscribers of one shared operation (same document, operation name and
 * variables: `sharedOperationKey`, server/src/graphql/use-shared-subscription-results.ts) read ONE source,
 * one pubsub subscription consumed by one loop, and each event's `next` frame is built once per distinct
 * operation id and handed to every member's socket sender. Before, every subscriber had its own pubsub
 * listener, Repeater, filter and two async-iterator wrappers, and graphql-ws's own loop: several promises
 * per subscriber per event, which the fan-out bench showed to cost more than writing the frames.
 *
 * Every subscriber still subscribes through yoga's envelop (authorisation, limits and errors at subscribe
 * time are as before); only then does it join its group, and the source its subscribe created is dropped
 * (`return()`ed before its first `next()`, so it never attached a listener) unless it founds the group.
 * Sharing one source is sound because, for the shared fields, what an event looks like does not depend on
 * the subscriber: the subscribe resolvers (schema/src/live/service.ts, subscribeAlertEvents in
 * schema/src/alerts/service.ts) check the scope and then filter by the `clientId` argument only (part of
 * the key), and the field resolvers read only the event. The context of the member that founded a group
 * gives its source the server's pubsub (`ctx.live`), the same for everyone.
 *
 * To graphql-ws, a member is a parked iterable (`MemberStream`): its `next()` settles only when the member
 * is done: `{ done: true }` when graphql-ws `return()`s it (the client's `complete`, a closed socket) or
 * the source ended (graphql-ws then sends `complete`), rejected with the source's error when it threw (so
 * graphql-ws sends `error` as it did when the subscriber read the source itself). The last member leaving
 * `return()`s the source.
 */
export class DeliveryGroups {
  private readonly groups = new Map<string, Group>();

  /** Groups with at least one member (their sources are open). */
  get size(): number {
    return this.groups.size;
  }

  /**
   * Adds the subscriber `(sender, id)` to the group of `key`, founding it with `source` when there is none
   * (else `source` is closed); returns what graphql-ws iterates for this subscriber.
   */
  join(
    key: string,
    source: AsyncIterable<ExecutionResult>,
    sender: SocketSender,
    id: string,
  ): AsyncIterableIterator<ExecutionResult> {
    let group = this.groups.get(key);
    if (group) closeUnstarted(source);
    else {
      group = new Group(source, () => {
        if (this.groups.get(key) === group) this.groups.delete(key);
      });
      this.groups.set(key, group);
    }
    return group.add(sender, id);
  }
}

/** `return()` of an iterable never iterated: its generators have not started, so nothing is attached. */
function closeUnstarted(source: AsyncIterable<unknown>): void {
  const iterator = source[Symbol.asyncIterator]();
  void Promise.resolve(iterator.return?.()).catch(() => {});
}

/** Members that share an operation id: one frame per event serves them all. */
interface Bucket {
  /** `{"id":<id as JSON>,"type":"next","payload":` as UTF-8. */
  prefix: Buffer;
  members: Set<MemberStream>;
}

const FRAME_END = Buffer.from('}');
/** Members an event is handed to per turn of the event loop (`Group.deliver`). */
export const DELIVER_SLICE = 500;

class Group {
  private readonly buckets = new Map<string, Bucket>();
  private readonly iterator: AsyncIterator<ExecutionResult>;
  private members = 0;
  private closed = false;

  constructor(
    source: AsyncIterable<ExecutionResult>,
    private readonly onClosed: () => void,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
    void this.run();
  }

  add(sender: SocketSender, id: string): MemberStream {
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = {
        prefix: Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`),
        members: new Set(),
      };
      this.buckets.set(id, bucket);
    }
    const member = new MemberStream(sender, () => this.remove(id, member));
    bucket.members.add(member);
    this.members += 1;
    return member;
  }

  private remove(id: string, member: MemberStream): void {
    const bucket = this.buckets.get(id);
    if (!bucket?.members.delete(member)) return;
    this.members -= 1;
    if (bucket.members.size === 0) this.buckets.delete(id);
    if (this.members === 0) this.close();
  }

  /** Stops reading: the group is forgotten at once (a new subscriber founds another) and the source closed. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    // An async generator waiting for its next event takes `return()` only after it (the listener is
    // removed then); this loop ignores that last event.
    void Promise.resolve(this.iterator.return?.()).catch(() => {});
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const next = await this.iterator.next();
        if (this.closed) return;
        if (next.done) break;
        await this.deliver(next.value);
      }
    } catch (error) {
      if (this.closed) return;
      this.end(error);
      return;
    }
    this.end(undefined);
  }

  /**
   * One payload per event, one frame per operation id, every member's sender. The frame is a Buffer: it
   * is UTF-8 encoded once, not by `ws` once per socket (sending one shared Buffer to 1,000 sockets took
   * 10–20 % less time than sending a string to each, in a micro-benchmark on the bench machine).
   *
   * `DELIVER_SLICE` members per turn of the event loop: handing an event to 10,000 senders in one go held
   * the loop for 20–60 ms, and a report arriving meanwhile waited that long. The next event waits until
   * this one is handed to every member, so that each socket gets the events in order. A member that left
   * meanwhile (its operation completed) gets nothing more.
   */
  private async deliver(result: ExecutionResult): Promise<void> {
    const payload = Buffer.from(serialisePayload(result));
    let handed = 0;
    for (const bucket of [...this.buckets.values()]) {
      const frame = new WireFrame(Buffer.concat([bucket.prefix, payload, FRAME_END]));
      for (const member of [...bucket.members]) {
        if (handed > 0 && handed % DELIVER_SLICE === 0) await nextTurn();
        handed += 1;
        if (!member.finished) member.sender.deliver(frame);
      }
    }
  }

  /** The source ended (`error` undefined) or threw: every member is done. */
  private end(error: unknown): void {
    this.closed = true;
    this.onClosed();
    const members = [...this.buckets.values()].flatMap((bucket) => [...bucket.members]);
    this.buckets.clear();
    this.members = 0;
    for (const member of members) member.finish(error);
  }
}

/**
 * The payload graphql-ws sends for a result: the result as is, or with `errors` moved last and each
 * error as its `toJSON()` (graphql-ws's `emit.next`).
 */
function serialisePayload(result: ExecutionResult): string {
  if (!result.errors) return JSON.stringify(result);
  const { errors, ...rest } = result;
  return JSON.stringify({ ...rest, errors: errors.map((error) => error.toJSON()) });
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** What graphql-ws iterates for one member: yields nothing; `next()` settles once the member is done. */
class MemberStream implements AsyncIterableIterator<ExecutionResult> {
  private waiting: { resolve: (r: IteratorResult<ExecutionResult>) => void; reject: (e: unknown) => void }[] =
    [];
  private outcome: { error: unknown } | null = null;

  /** Whether the member is done: its operation completed, its socket closed or the source ended. */
  get finished(): boolean {
    return this.outcome !== null;
  }

  constructor(
    readonly sender: SocketSender,
    private readonly leave: () => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.outcome) return this.settled(this.outcome.error);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** graphql-ws: the client completed the operation or the socket closed. */
  return(): Promise<IteratorResult<ExecutionResult>> {
    this.leave();
    this.finish(undefined);
    return Promise.resolve(DONE);
  }

  /** Ends the member: pending `next()`s resolve done (`error` undefined) or reject with `error`. */
  finish(error: unknown): void {
    if (this.outcome) return;
    this.outcome = { error };
    const waiting = this.waiting;
    this.waiting = [];
    for (const { resolve, reject } of waiting) {
      if (error === undefined) resolve(DONE);
      else reject(error);
    }
  }

  private settled(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    return error === undefined ? Promise.resolve(DONE) : Promise.reject(error);
  }
}
