/**
 * The delivery queue's bound in time (server/src/http/ws-send.ts, `MAX_DELIVERY_LAG`): a frame that
 * waited longer than the bound is not written and its socket is shed, once; fresh frames are written, in
 * order. The clock is a fake one.
 */
import { describe, expect, it } from 'vitest';
import { DeliveryQueue, type Frame, type QueuedSender } from '../src/http/ws-send.js';
import { waitFor } from './ws-helpers.js';

/** A sender that records what it wrote and whether it was shed (and stops writing then, as a socket does). */
function recorder(): QueuedSender & { written: string[]; shedAfter: number | null } {
  const sender = {
    written: [] as string[],
    shedAfter: null as number | null,
    write(data: Frame) {
      if (sender.shedAfter === null) sender.written.push(String(data));
    },
    shed(lagMs: number) {
      if (sender.shedAfter === null) sender.shedAfter = lagMs;
    },
  };
  return sender;
}

describe('the delivery queue', () => {
  it('writes frames in order, and sheds the sockets whose frames waited past the bound', async () => {
    let now = 0;
    const queue = new DeliveryQueue(2, 2000, () => now);
    const [slow, late, fresh] = [recorder(), recorder(), recorder()];
    queue.push(slow, 'a1');
    queue.push(late, 'b1');
    now = 1500;
    queue.push(fresh, 'c1');
    queue.push(slow, 'a2');
    now = 3000; // before the first flush: a1 and b1 waited 3 s, c1 and a2 1.5 s
    await waitFor(() => fresh.written.length === 1, 'the fresh frame', 30_000);
    expect(slow).toMatchObject({ written: [], shedAfter: 3000 });
    expect(late).toMatchObject({ written: [], shedAfter: 3000 });
    expect(fresh).toMatchObject({ written: ['c1'], shedAfter: null });
  });

  it('sheds nobody while the queue keeps up', async () => {
    let now = 0;
    const queue = new DeliveryQueue(1, 2000, () => now);
    const sender = recorder();
    for (let i = 0; i < 5; i += 1) {
      queue.push(sender, `f${i}`);
      now += 1000;
      await waitFor(() => sender.written.length === i + 1, `frame ${i}`, 30_000);
    }
    expect(sender).toMatchObject({ written: ['f0', 'f1', 'f2', 'f3', 'f4'], shedAfter: null });
  });
});
