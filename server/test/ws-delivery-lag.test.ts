/**
 * The delivery queue's bound in time (server/src/http/ws-send.ts, `MAX_DELIVERY_LAG`, `SHED_EVERY`): once
 * frames wait longer than the bound, one stale frame in `SHED_EVERY` is not written and its socket is
 * shed; fresh frames, and the other stale ones, are written in order; the sockets shed are reported at
 * most once a second. The clock is a fake one.
 */
import { describe, expect, it } from 'vitest';
import { DeliveryQueue, type Frame, type QueuedSender, SHED_EVERY } from '../src/http/ws-send.js';
import { waitFor } from './ws-helpers.js';

/** A sender that records what it wrote and whether it was shed (and stops writing then, as a socket does). */
function recorder(): QueuedSender & { written: string[]; isShed: boolean } {
  const sender = {
    written: [] as string[],
    isShed: false,
    write(data: Frame) {
      if (!sender.isShed) sender.written.push(String(data));
    },
    shed() {
      if (sender.isShed) return false;
      sender.isShed = true;
      return true;
    },
  };
  return sender;
}

describe('the delivery queue', () => {
  it('sheds one socket in SHED_EVERY among those whose frames went stale, writes the rest in order', async () => {
    let now = 0;
    const reports: [number, number][] = [];
    const queue = new DeliveryQueue({
      chunk: 100,
      maxLag: 2000,
      now: () => now,
      onShed: (count, lagMs) => reports.push([count, lagMs]),
    });
    const stale = Array.from({ length: 2 * SHED_EVERY }, () => recorder());
    for (const [i, sender] of stale.entries()) queue.push(sender, `old${i}`);
    now = 1500;
    const fresh = recorder();
    queue.push(fresh, 'new');
    now = 3000; // before the first flush: the old frames waited 3 s, the new one 1.5 s
    await waitFor(() => fresh.written.length === 1, 'the fresh frame', 30_000);
    const shed = stale.filter((s) => s.isShed);
    expect(shed).toHaveLength(2);
    expect(stale.filter((s) => !s.isShed).every((s) => s.written.length === 1)).toBe(true);
    expect(reports).toEqual([[2, 3000]]);
    expect(fresh).toMatchObject({ written: ['new'], isShed: false });
  });

  it('sheds nobody while the queue keeps up', async () => {
    let now = 0;
    const queue = new DeliveryQueue({ chunk: 1, maxLag: 2000, now: () => now });
    const sender = recorder();
    for (let i = 0; i < 5; i += 1) {
      queue.push(sender, `f${i}`);
      now += 1000;
      await waitFor(() => sender.written.length === i + 1, `frame ${i}`, 30_000);
    }
    expect(sender).toMatchObject({ written: ['f0', 'f1', 'f2', 'f3', 'f4'], isShed: false });
  });

  it('writes in order and lets go of what it wrote while it never empties (overload)', async () => {
    const queue = new DeliveryQueue({ chunk: 1_000, maxLag: Number.POSITIVE_INFINITY });
    let written = 0;
    let outOfOrder = 0;
    const sender: QueuedSender = {
      write: (data) => {
        if (data !== `f${written}`) outOfOrder += 1;
        written += 1;
      },
      shed: () => false,
    };
    let pushed = 0;
    const push = (count: number) => {
      for (let i = 0; i < count; i += 1) queue.push(sender, `f${pushed++}`);
    };
    // Always more waiting than a turn writes: the queue stays non-empty for the whole test.
    push(20_000);
    let mostHeld = 0;
    while (pushed < 200_000) {
      await new Promise((resolve) => setImmediate(resolve));
      push(900);
      mostHeld = Math.max(mostHeld, queue.held);
    }
    expect(written).toBeGreaterThan(150_000);
    expect(queue.held).toBeGreaterThan(0);
    // Without compaction it would hold all 200,000 it was given.
    expect(mostHeld).toBeLessThan(60_000);
    await waitFor(() => written === pushed, 'every frame written', 30_000);
    expect(outOfOrder).toBe(0);
    expect(queue.held).toBe(0);
  });
});
