import { describe, expect, it } from 'vitest';
import { createBoundedPubSub, SlowConsumerError } from '../src/live/bounded-pubsub.js';

type Topics = { tick: [number]; routed: [id: string, value: number] };

describe('createBoundedPubSub', () => {
  it('delivers in order, and ends only the subscription that falls more than maxPending events behind', async () => {
    const slow: string[] = [];
    const pubsub = createBoundedPubSub<Topics>({
      maxPending: 3,
      onSlowConsumer: (topic, pending) => slow.push(`${topic} ${pending}`),
    });
    const keeping = pubsub.subscribe('tick')[Symbol.asyncIterator]();
    const lagging = pubsub.subscribe('tick')[Symbol.asyncIterator]();
    // A subscription listens from its first pull.
    const keepFirst = keeping.next();
    const lagFirst = lagging.next();
    pubsub.publish('tick', 1);
    const kept = [(await keepFirst).value];
    for (let i = 2; i <= 10; i += 1) {
      const next = keeping.next();
      pubsub.publish('tick', i);
      kept.push((await next).value);
    }
    expect(kept).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await lagFirst).value).toBe(1);

    // The lagging one took nothing after 1: 2, 3, 4 wait; 5 ends it. Reading on gives what waited (the
    // Repeater may drop the last of it when it stops) and then the error.
    const rest: unknown[] = [];
    let ended: unknown;
    try {
      for (let r = await lagging.next(); !r.done; r = await lagging.next()) rest.push(r.value);
    } catch (error) {
      ended = error;
    }
    expect(rest.length).toBeGreaterThanOrEqual(2);
    expect(rest).toEqual([2, 3, 4].slice(0, rest.length));
    expect(ended).toBeInstanceOf(SlowConsumerError);
    expect(slow).toEqual(['tick 3']);
  });

  it('routes events with an id to that id only, and lets more than ten subscribers listen without a warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const pubsub = createBoundedPubSub<Topics>({ maxPending: 10 });
      const many = Array.from({ length: 20 }, () => pubsub.subscribe('routed', 'a')[Symbol.asyncIterator]());
      const other = pubsub.subscribe('routed', 'b')[Symbol.asyncIterator]();
      const nexts = many.map((it) => it.next());
      const otherNext = other.next();
      pubsub.publish('routed', 'a', 7);
      expect((await Promise.all(nexts)).map((r) => r.value)).toEqual(Array(20).fill(7));
      pubsub.publish('routed', 'b', 8);
      expect((await otherNext).value).toBe(8);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
