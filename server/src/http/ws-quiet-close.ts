import type { Duplex, Writable } from 'node:stream';
import { WebSocket } from 'ws';

/**
 * `ws`'s WebSocket, but its close makes no errors that nobody sees. When a connection closes, `ws` ends the
 * socket and its frame parser (a `Writable`) again, already ended: three `end()` calls per closed socket,
 * and `Writable.end()` on an ended stream makes an error with its stack trace (`ERR_STREAM_ALREADY_FINISHED`)
 * that `ws` passes no callback for, so it is dropped. Here `end()` with no arguments on a stream already
 * ended or destroyed returns at once, as it would have after making the error.
 *
 * Measured in the fan-out bench past the maximum (10,000 subscribers shed as slow consumers): those errors
 * were 36 % of the event loop while sockets closed by the thousand, which is when reports waited longest.
 * The server's WebSocketServer makes its sockets with this class (`WebSocket` option).
 */
export class QuietCloseWebSocket extends WebSocket {
  setSocket(socket: Duplex, head: Buffer, options: object): void {
    // `setSocket` is how WebSocketServer hands over an upgraded connection; the parser exists after it.
    (WebSocket.prototype as unknown as { setSocket: QuietCloseWebSocket['setSocket'] }).setSocket.call(
      this,
      socket,
      head,
      options,
    );
    quietEnd(socket);
    const receiver = (this as unknown as { _receiver?: Writable })._receiver;
    if (receiver) quietEnd(receiver);
  }
}

function quietEnd(stream: Writable | Duplex): void {
  const end = stream.end;
  stream.end = function (this: Writable, ...args: unknown[]) {
    if (args.length === 0 && (this.writableEnded || this.destroyed)) return this;
    return (end as (...a: unknown[]) => Writable).apply(this, args);
  } as Writable['end'];
}
