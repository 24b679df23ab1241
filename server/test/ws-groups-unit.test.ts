import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DELIVER_SLICE, DeliveryGroups } from '../src/http/ws-groups.js';
import type { Frame, SocketSender } from '../src/http/ws-send.js';
import { waitFor } from './ws-helpers.js';

/** A sender that keeps what it is given, as text. */
function keeper(): SocketSender & { frames: string[] } {
  const frames: string[] = [];
  const keep = (data: Frame) => frames.push(String(data));
  return { frames, send: keep, deliver: keep };
}

/** A source that yields `results`, then ends, or throws `error`. */
async function* source(results: ExecutionResult[], error?: Error): AsyncGenerator<ExecutionResult> {
  for (const result of results) {
    await new Promise((r) => setImmediate(r));
    yield result;
  }
  if (error) throw error;
}

describe('DeliveryGroups', () => {
  it("ends every member when the source ends, and rejects every member's next() when it throws", async () => {
    const groups = new DeliveryGroups();
    const [a, b] = [keeper(), keeper()];
    const ended = groups.join('k1', source([{ data: { n: 1 } }]), a, 'x');
    const joined = groups.join('k1', source([{ data: { n: 99 } }]), b, 'y');
    expect(groups.size).toBe(1);
    expect(await ended.next()).toEqual({ done: true, value: undefined });
    expect(await joined.next()).toEqual({ done: true, value: undefined });
    // Only the founding source was read.
    expect(a.frames).toEqual(['{"id":"x","type":"next","payload":{"data":{"n":1}}}']);
    expect(b.frames).toEqual(['{"id":"y","type":"next","payload":{"data":{"n":1}}}']);
    expect(groups.size).toBe(0);

    const failure = new Error('source failed');
    const [c, d] = [keeper(), keeper()];
    const first = groups.join('k2', source([{ data: { n: 2 } }], failure), c, '1');
    const second = groups.join('k2', source([]), d, '1');
    await expect(first.next()).rejects.toBe(failure);
    await expect(second.next()).rejects.toBe(failure);
    expect(d.frames).toEqual(c.frames);
    expect(groups.size).toBe(0);
  });

  it('hands an event to DELIVER_SLICE members per turn, in order, and none to a member that left meanwhile', async () => {
    const groups = new DeliveryGroups();
    const members = Array.from({ length: 2 * DELIVER_SLICE + 1 }, () => keeper());
    const streams: AsyncIterableIterator<ExecutionResult>[] = [];
    let handedInFirstTurn = 0;
    // The first delivery ends the last member's operation (its turn comes two slices later) and, on the
    // next turn, counts the members that have the event by then.
    const first = members[0] as ReturnType<typeof keeper>;
    first.deliver = (data) => {
      first.frames.push(String(data));
      if (first.frames.length > 1) return;
      void streams.at(-1)?.return?.();
      setImmediate(() => {
        handedInFirstTurn = members.filter((m) => m.frames.length > 0).length;
      });
    };
    const events = [{ data: { n: 1 } }, { data: { n: 2 } }];
    for (const [i, member] of members.entries())
      streams.push(groups.join('k', source(events), member, `${i}`));
    await waitFor(() => (members.at(-2)?.frames.length ?? 0) === 2, 'both events at the last member but one');
    expect(handedInFirstTurn).toBe(DELIVER_SLICE);
    for (const member of members.slice(0, -1))
      expect(member.frames.map((f) => JSON.parse(f).payload.data.n)).toEqual([1, 2]);
    expect(members.at(-1)?.frames).toEqual([]);
    for (const stream of streams) await stream.return?.();
  });

  it('closes the source once the last member returns', async () => {
    const groups = new DeliveryGroups();
    let closed = false;
    async function* endless(): AsyncGenerator<ExecutionResult> {
      try {
        for (let n = 0; ; n++) {
          await new Promise((r) => setImmediate(r));
          yield { data: { n } };
        }
      } finally {
        closed = true;
      }
    }
    const [a, b] = [keeper(), keeper()];
    const first = groups.join('k', endless(), a, '1');
    const second = groups.join('k', endless(), b, '2');
    const pending = first.next();
    await first.return?.();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(groups.size).toBe(1);
    await second.return?.();
    expect(groups.size).toBe(0);
    await waitFor(() => closed, 'the source closed');
  });
});
