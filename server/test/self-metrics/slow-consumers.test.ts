/**
 * `ws_slow_consumers_total` and `ws_deliveries_total` move where the server gives up on a subscriber
 * (server/src/http/ws-send.ts): a send buffer over its bound, and a frame shed by the delivery queue's lag
 * bound; and whether a socket shed for lag is let go at once. The socket is a stand-in holding what the
 * sender reads (`readyState`, `bufferedAmount`) and recording what it is told (`close`, `terminate`); the
 * queue's clock is a fake one, as in ws-delivery-lag.test.ts. A real socket shed: ws-shed-close.test.ts.
 */

import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { boundedSender, DeliveryQueue, SHED_EVERY } from '../../src/http/ws-send.js';
import { createLogger } from '../../src/logger.js';
import { ServerMetrics } from '../../src/telemetry/server-metrics.js';
import { waitFor } from '../ws-helpers.js';
import { scrapeOf } from './scrape.js';

function standInSocket(bufferedAmount = 0) {
  const socket = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount,
    closedWith: null as number | null,
    terminated: false,
    send() {},
    close(code: number) {
      socket.closedWith = code;
      socket.readyState = 3;
    },
    terminate() {
      socket.terminated = true;
    },
  };
  return socket;
}

const read = async (metrics: ServerMetrics) => scrapeOf(await metrics.text());

describe('slow consumers on /metrics', () => {
  it('counts a socket closed because its send buffer is over the bound', async () => {
    const metrics = new ServerMetrics();
    const socket = standInSocket(2_000_000);
    const sender = boundedSender(
      socket as unknown as WebSocket,
      1_048_576,
      createLogger('silent'),
      new DeliveryQueue(),
      metrics,
    );
    sender.deliver('{"next":1}');
    expect(socket.closedWith).toBe(4008);
    const after = await read(metrics);
    expect(after.value('metrics_collector_ws_slow_consumers_total', { reason: 'send_buffer' })).toBe(1);
    expect(after.value('metrics_collector_ws_deliveries_total')).toBe(0);
  });

  it('counts deliveries, and a socket shed by the delivery lag bound', async () => {
    const metrics = new ServerMetrics();
    let now = 0;
    const queue = new DeliveryQueue({ chunk: 100, maxLag: 2000, now: () => now });
    const sockets = Array.from({ length: SHED_EVERY }, () => standInSocket());
    for (const socket of sockets) {
      boundedSender(
        socket as unknown as WebSocket,
        1_048_576,
        createLogger('silent'),
        queue,
        metrics,
      ).deliver('event');
    }
    now = 3000; // before the first flush: every frame waited past the bound
    await waitFor(() => sockets.some((s) => s.closedWith !== null), 'a socket to be shed', 30_000);
    const after = await read(metrics);
    expect(after.value('metrics_collector_ws_deliveries_total')).toBe(SHED_EVERY);
    expect(after.value('metrics_collector_ws_slow_consumers_total', { reason: 'delivery_lag' })).toBe(1);
  });

  it('lets go of a socket shed for lag at once when nothing waits in its buffer, else after its close', async () => {
    const shedWith = async (bufferedAmount: number) => {
      let now = 0;
      const queue = new DeliveryQueue({ maxLag: 2000, now: () => (now += 3000) });
      const sockets = Array.from({ length: SHED_EVERY }, () => standInSocket(bufferedAmount));
      for (const socket of sockets) {
        boundedSender(socket as unknown as WebSocket, 1_048_576, createLogger('silent'), queue).deliver('e');
      }
      await waitFor(() => sockets.some((s) => s.closedWith !== null), 'a socket to be shed', 30_000);
      return sockets.find((s) => s.closedWith !== null);
    };
    // The close frame went to the kernel: nothing is left to send, and the peer's answer is not awaited.
    expect(await shedWith(0)).toMatchObject({ closedWith: 4008, terminated: true });
    // Sends still buffered: the close frame follows them, and `ws` ends the connection once it is sent.
    expect(await shedWith(100)).toMatchObject({ closedWith: 4008, terminated: false });
  });
});
