import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../telemetry/server-metrics.js';
import { logSlowSubscriber, socketCloses } from './error-boundary.js';

/**
 * The server compresses a message (when the client agreed to permessage-deflate) only if it is at least
 * COMPRESS_FROM and less than COMPRESS_BELOW characters long. In: the answers to an agent's report
 * (`next`, 77 characters, and `complete`, 28 and up, become about 10 and 6 bytes) and commands. Out:
 * `connection_ack` (25) and graphql-ws `ping`/`pong` messages (15), which gain nothing, and subscription
 * events, which are larger: deflating every event for every subscriber would cost fan-out CPU. A first
 * version that compressed every message under 512 characters, `connection_ack` included, made the
 * fan-out bench's delivery delay 5× worse with a thousand subscribers (each socket then holds a zlib
 * stream; we did not pin down the mechanism further); with these bounds it is unchanged. (`ws` ignores
 * its own `threshold` when contexts are kept, hence the decision per message.)
 */
const COMPRESS_FROM = 28;
const COMPRESS_BELOW = 512;

/**
 * Frames written per turn of the event loop before the rest wait for the next (`setImmediate`). A report
 * crosses several turns (read, group commit, answer), so a turn's chunk adds to its latency as many times:
 * past the fan-out maximum a frame took 11–14 µs to write, and 256 a turn (3.6 ms) made report p50 18–24 ms
 * where 64 (0.7–0.9 ms) made it 9–10 ms, for the same share of the loop spent delivering (docs/live.md).
 */
export const DELIVERY_CHUNK = 64;

/**
 * One socket's sends. Nothing waits for a flush: the socket's buffer (and its frames still queued for
 * delivery) is the subscriber's queue, and once together they hold more than `maxBufferedBytes` the
 * socket is closed with `SLOW_CONSUMER_CLOSE_CODE` (once) and nothing more is sent.
 */
export interface SocketSender {
  /** Sends now, unless frames of this socket wait in the delivery queue (then after them, in order). */
  send(data: string): void;
  /**
   * Sends on a later turn of the event loop, in order, `DELIVERY_CHUNK` sockets' frames per turn. A Buffer
   * (UTF-8 text) may be shared by many sockets' deliveries: it is encoded once, and never changed after.
   */
  deliver(data: Frame): void;
}

/**
 * A text message: a string, its UTF-8 bytes, or a `WireFrame`. Its `length` (characters or bytes of
 * text) is what is counted.
 */
export type Frame = string | Buffer | WireFrame;

/**
 * A text message as a whole WebSocket frame (unmasked, final, uncompressed), built once and written as is
 * to every socket it goes to: `ws` would build a header and queue two buffers per socket.
 */
export class WireFrame {
  /** The frame: header, then the text. */
  readonly bytes: Buffer;
  /** The text's bytes. */
  readonly length: number;

  constructor(readonly text: Buffer) {
    const n = text.length;
    const header = Buffer.alloc(n < 126 ? 2 : n < 65_536 ? 4 : 10);
    header[0] = 0x81; // FIN, text
    if (n < 126) header[1] = n;
    else if (n < 65_536) {
      header[1] = 126;
      header.writeUInt16BE(n, 2);
    } else {
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(n), 2);
    }
    this.bytes = Buffer.concat([header, text]);
    this.length = n;
  }

  /** The text. */
  toString(): string {
    return this.text.toString('utf8');
  }
}

/**
 * The socket under `ws`'s `WebSocket`, when a frame may be written to it directly: `ws`'s sender holds
 * nothing (no message being compressed or queued behind one), so the frame goes out in order. `ws`'s
 * private fields, read defensively: in any other case the frame goes through `ws`.
 */
function rawSocket(socket: WebSocket): Socket | undefined {
  const inner = socket as unknown as {
    _socket?: Socket;
    _sender?: { _state?: unknown; _queue?: unknown[] };
  };
  const sender = inner._sender;
  if (sender?._state !== 0 || sender._queue?.length !== 0) return undefined;
  const raw = inner._socket;
  return raw && !raw.destroyed && raw.writable ? raw : undefined;
}

/** What the delivery queue writes through: a socket's sender. */
export interface QueuedSender {
  /** The frame's turn: sends it. */
  write(data: Frame): void;
  /**
   * The frame waited longer than the queue's `maxLag`: closes the socket as a slow consumer; `true` the
   * first time (the socket was open and is shed now).
   */
  shed(): boolean;
}

/** How long a frame may wait in the delivery queue before its socket is shed, ms. */
export const MAX_DELIVERY_LAG = 2000;

/**
 * The frames of every socket of a server waiting to be written. An event for ten thousand subscribers
 * is not written in one turn of the event loop: a chunk of frames per turn, `setImmediate` between
 * chunks, so that reports (HTTP) are read and answered between chunks rather than after the whole fan-out.
 */
export class DeliveryQueue {
  /**
   * The queue, as three arrays (sender, frame, when it was queued by `now()`, ms) rather than an object
   * per frame. Entries written are cleared, and the arrays compacted once mostly written: before, the
   * queue let go of nothing until it emptied, so under a load past the fan-out maximum (where it may never
   * empty) it kept every frame it had ever held.
   */
  private senders: (QueuedSender | undefined)[] = [];
  private frames: (Frame | undefined)[] = [];
  private times: number[] = [];
  private head = 0;
  private scheduled = false;
  private readonly chunk: number;
  private readonly maxLag: number;
  private readonly now: () => number;
  private readonly onShed: (count: number, lagMs: number) => void;
  /** Stale frames met so far; every `SHED_EVERY`th one's socket is shed. */
  private stale = 0;
  /**
   * A shedding round covers the frames queued until it began (`roundUntil`); frames queued before the last
   * round ended (`exemptUntil`) shed nothing more: the backlog a round leaves is stale too, and shedding
   * on it shed everyone.
   */
  private roundUntil: number | null = null;
  private exemptUntil = Number.NEGATIVE_INFINITY;
  private shedSinceReport = 0;
  private lastReport = Number.NEGATIVE_INFINITY;

  /**
   * `maxLag`: when the server cannot write events as fast as they come (more subscribers and events than
   * its CPU serves), frames wait here longer and longer. Past `maxLag` ms, a shedding round begins: of the
   * frames queued until then, one stale frame in `SHED_EVERY` is not written and its socket is shed as a
   * slow consumer (4008); frames queued since may begin another round once they are stale in turn. The
   * server sheds a part of its subscribers at a time (shedding every socket whose frame was stale shed them
   * all at once, since a whole event's frames go stale together) until the queue keeps up, so that ingest, sharing the event
   * loop, is not starved behind an ever longer fan-out. `onShed` hears of the sockets shed, at most once a
   * second (a log line per socket would flood the log when thousands go).
   */
  constructor(
    options: {
      chunk?: number;
      maxLag?: number;
      now?: () => number;
      onShed?: (count: number, lagMs: number) => void;
    } = {},
  ) {
    this.chunk = options.chunk ?? DELIVERY_CHUNK;
    this.maxLag = options.maxLag ?? MAX_DELIVERY_LAG;
    this.now = options.now ?? (() => performance.now());
    this.onShed = options.onShed ?? (() => {});
  }

  /** Entries the queue's arrays hold: frames waiting, and frames written but not yet compacted away. */
  get held(): number {
    return this.senders.length;
  }

  push(sender: QueuedSender, data: Frame): void {
    this.senders.push(sender);
    this.frames.push(data);
    this.times.push(this.now());
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    const end = Math.min(this.senders.length, this.head + this.chunk);
    const now = this.now();
    let lag = 0;
    for (; this.head < end; this.head += 1) {
      const sender = this.senders[this.head] as QueuedSender;
      const data = this.frames[this.head] as Frame;
      const at = this.times[this.head] as number;
      this.senders[this.head] = undefined;
      this.frames[this.head] = undefined;
      if (this.roundUntil !== null && at > this.roundUntil) {
        // The round's frames are past: frames queued since may start another round once stale.
        this.exemptUntil = this.roundUntil;
        this.roundUntil = null;
      }
      if (now - at > this.maxLag && at > this.exemptUntil) {
        this.roundUntil ??= now;
        this.stale += 1;
        lag = Math.max(lag, now - at);
        if (this.stale % SHED_EVERY === 0 && sender.shed()) this.shedSinceReport += 1;
      }
      sender.write(data);
    }
    if (this.shedSinceReport > 0 && now - this.lastReport >= 1000) {
      this.onShed(this.shedSinceReport, Math.round(lag));
      this.shedSinceReport = 0;
      this.lastReport = now;
    }
    if (this.head < this.senders.length) {
      if (this.head >= COMPACT_FROM && this.head * 2 >= this.senders.length) {
        this.senders = this.senders.slice(this.head);
        this.frames = this.frames.slice(this.head);
        this.times = this.times.slice(this.head);
        this.head = 0;
      }
      setImmediate(this.flush);
      return;
    }
    this.senders = [];
    this.frames = [];
    this.times = [];
    this.head = 0;
    this.scheduled = false;
  };
}

/** Written entries at the head of the delivery queue past which it is compacted (when half or more). */
const COMPACT_FROM = 16_384;

/** One stale frame in this many sheds its socket (see `DeliveryQueue`). */
export const SHED_EVERY = 4;

class BoundedSender implements SocketSender, QueuedSender {
  private slow = false;
  private queuedBytes = 0;
  private queuedFrames = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly maxBufferedBytes: number,
    private readonly logger: Logger,
    private readonly queue: DeliveryQueue,
    private readonly telemetry: ServerMetrics | undefined,
  ) {}

  send(data: string): void {
    if (this.queuedFrames > 0) this.deliver(data);
    else if (this.admit()) this.transmit(data);
  }

  deliver(data: Frame): void {
    if (!this.admit()) return;
    this.telemetry?.deliveries.inc();
    this.queuedBytes += data.length;
    this.queuedFrames += 1;
    this.queue.push(this, data);
  }

  shed(): boolean {
    if (this.slow || this.socket.readyState !== this.socket.OPEN) return false;
    this.slow = true;
    this.telemetry?.slowDelivery.inc();
    this.socket.close(socketCloses.slowDelivery.code, socketCloses.slowDelivery.reason);
    // The close frame is with the kernel, which sends it, after what the socket holds, and then FIN: not
    // waiting for the peer's close frame spares the loop the shed peers' answers, which came in bursts of
    // thousands, seconds behind (their cleanup then held the loop, and ingest, for hundreds of ms).
    if (this.socket.bufferedAmount === 0) this.socket.terminate();
    return true;
  }

  /** Called by the queue: the frame's turn. */
  write(data: Frame): void {
    this.queuedBytes -= data.length;
    this.queuedFrames -= 1;
    if (!this.slow && this.socket.readyState === this.socket.OPEN) this.transmit(data);
  }

  /** Whether a frame may be sent or queued; past the bound, closes the socket as too slow (once). */
  private admit(): boolean {
    if (this.slow || this.socket.readyState !== this.socket.OPEN) return false;
    const held = this.socket.bufferedAmount + this.queuedBytes;
    if (held <= this.maxBufferedBytes) return true;
    this.slow = true;
    this.telemetry?.slowSend.inc();
    logSlowSubscriber(this.logger, held, this.maxBufferedBytes);
    this.socket.close(socketCloses.slowSend.code, socketCloses.slowSend.reason);
    return false;
  }

  private transmit(data: Frame): void {
    const compress = data.length >= COMPRESS_FROM && data.length < COMPRESS_BELOW;
    if (data instanceof WireFrame) {
      const raw =
        compress && this.socket.extensions.includes('permessage-deflate')
          ? undefined
          : rawSocket(this.socket);
      if (raw) raw.write(data.bytes);
      else this.socket.send(data.text, { binary: false, compress });
      return;
    }
    // `binary: false`: a Buffer is sent as a text message, as a string is.
    this.socket.send(data, { binary: false, compress });
  }
}

/** The sender of one socket, bounded by `maxBufferedBytes`, delivering through `queue`. */
export function boundedSender(
  socket: WebSocket,
  maxBufferedBytes: number,
  logger: Logger,
  queue: DeliveryQueue,
  telemetry?: ServerMetrics,
): SocketSender {
  return new BoundedSender(socket, maxBufferedBytes, logger, queue, telemetry);
}
