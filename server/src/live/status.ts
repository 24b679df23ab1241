import { type BackgroundTimer, backgroundTimer } from '@metrics-collector/common/timer';
import type { Clock } from '@metrics-collector/schema/clock';
import type { ClientStatus, ClientStatusEvent, ReportedWindow } from '@metrics-collector/schema/live/types';
import type { Logger } from '../logger.js';
import type { ServerLive } from './index.js';

export interface StatusTrackerOptions {
  live: ServerLive;
  clock: Clock;
  logger: Logger;
  /** How often the timer looks for silent clients, ms; `0` runs no timer (tests call `check()`). @default 1000 */
  checkInterval?: number;
  /** Missed report intervals after which a client is STALE. @default 3 */
  staleAfter?: number;
  /** Missed report intervals after which a client is OFFLINE. @default 10 */
  offlineAfter?: number;
  /** The shortest report interval assumed, ms, whatever a report's window says. @default 1000 */
  minInterval?: number;
}

/** Severity order: the timer only ever moves a client down this list; a report moves it back to ONLINE. */
const rank: Record<ClientStatus, number> = { ONLINE: 0, STALE: 1, OFFLINE: 2 };

interface Tracked {
  /** `clock.now()` when this replica stored the client's last report. */
  lastSeen: number;
  /** The client's report interval: its last report's window length, at least `minInterval`. */
  interval: number;
  /** Window end of the newest report stored here, to tell when another replica stored a newer one. */
  windowEnd: number;
}

/**
 * Client liveness, published on `clientStatusChanged`: ONLINE when a report is stored, STALE after
 * `staleAfter` report intervals without one, OFFLINE after `offlineAfter` or when its command stream
 * closes. Only changes are published; the interval is the last report's window length
 * (`windowEnd − windowStart`).
 *
 * With several replicas (Redis), each event is produced once: ONLINE only by the replica that stored the
 * report, and STALE/OFFLINE only by the replica that stored the client's newest report (it stops tracking
 * the client when it sees, on `metricReported`, a newer report stored elsewhere). Every replica follows
 * `clientStatusChanged` to know each client's current status, so that a client moving between replicas is
 * not announced ONLINE twice. See docs/live.md.
 */
export class StatusTracker {
  readonly #live: ServerLive;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #staleAfter: number;
  readonly #offlineAfter: number;
  readonly #minInterval: number;
  /** Each client's last status and when it changed, from this replica's events and others'. */
  readonly #known = new Map<string, { status: ClientStatus; at: number }>();
  readonly #tracked = new Map<string, Tracked>();
  readonly #followed: (() => void)[] = [];
  readonly #timer: BackgroundTimer;
  #state: 'new' | 'started' | 'stopped' = 'new';

  constructor(options: StatusTrackerOptions) {
    const { live } = options;
    this.#live = live;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#timer = backgroundTimer({
      intervalMs: options.checkInterval ?? 1_000,
      run: () => this.check(),
      onError: (error) => this.#logger.error({ err: error }, 'client status check failed'),
    });
    this.#staleAfter = options.staleAfter ?? 3;
    this.#offlineAfter = options.offlineAfter ?? 10;
    this.#minInterval = options.minInterval ?? 1_000;
    // Other replicas' reports and events are followed from the start, whether or not this replica stores
    // any report, so that it knows every client's status when one moves here.
    this.#followed.push(live.pubsub.listen('metricReported', (window) => this.#reportedAnywhere(window)));
    this.#followed.push(
      live.pubsub.listen('clientStatusChanged', (event) => this.#statusChangedAnywhere(event)),
    );
    live.onReport((window) => {
      if (this.#state !== 'stopped') this.#reported(window);
    });
    // A forgotten client is dropped without an event: it will not be announced OFFLINE.
    this.#followed.push(
      live.pubsub.listen('clientForgotten', ({ clientId }) => {
        this.#tracked.delete(clientId);
        this.#known.delete(clientId);
      }),
    );
    live.onCommandStreamClosed((clientId) => {
      if (this.#state !== 'stopped') this.commandStreamClosed(clientId);
    });
  }

  /**
   * Starts the timer. Idempotent; the first report starts it too (so a tracker that nobody started still
   * times its clients). Events are followed from creation.
   */
  start(): void {
    if (this.#state !== 'new') return;
    this.#state = 'started';
    this.#timer.start();
  }

  async stop(): Promise<void> {
    this.#state = 'stopped';
    this.#timer.stop();
    for (const unlisten of this.#followed) unlisten();
    this.#followed.length = 0;
  }

  /** Moves the clients this replica tracks to STALE or OFFLINE as `clock.now()` says; the timer calls it. */
  check(): void {
    const now = this.#clock.now();
    for (const [clientId, client] of this.#tracked) {
      const silent = now - client.lastSeen;
      const target: ClientStatus =
        silent >= this.#offlineAfter * client.interval
          ? 'OFFLINE'
          : silent >= this.#staleAfter * client.interval
            ? 'STALE'
            : 'ONLINE';
      const current = this.#known.get(clientId)?.status ?? 'ONLINE';
      if (rank[target] > rank[current]) {
        // The moment the threshold passed, even when the timer runs late.
        const missed = target === 'OFFLINE' ? this.#offlineAfter : this.#staleAfter;
        this.#publish(clientId, target, client.lastSeen + missed * client.interval);
      }
      // An OFFLINE client has nothing left to time until its next report.
      if (target === 'OFFLINE' || current === 'OFFLINE') this.#tracked.delete(clientId);
    }
  }

  /**
   * The client's command stream (`agentCommands`) closed: it is OFFLINE now, until its next report.
   * The tracker calls it itself when the client's last stream on this server ends
   * (`live.onCommandStreamClosed`).
   */
  commandStreamClosed(clientId: string): void {
    this.#tracked.delete(clientId);
    if (this.#known.get(clientId)?.status !== 'OFFLINE')
      this.#publish(clientId, 'OFFLINE', this.#clock.now());
  }

  /** The client's last status this replica knows of (its own events and other replicas'), `null` if none. */
  statusOf(clientId: string): ClientStatus | null {
    return this.#known.get(clientId)?.status ?? null;
  }

  /** The clients whose STALE/OFFLINE timers run on this replica: those whose newest report it stored. */
  tracked(): string[] {
    return [...this.#tracked.keys()];
  }

  #publish(clientId: string, status: ClientStatus, at: number): void {
    const event: ClientStatusEvent = {
      clientId,
      status,
      previous: this.#known.get(clientId)?.status ?? null,
      at,
    };
    this.#known.set(clientId, { status, at });
    this.#logger.debug(event, 'client status changed');
    this.#live.pubsub.publish('clientStatusChanged', event);
  }

  #reported(window: ReportedWindow): void {
    if (this.#state === 'new') this.start();
    const previous = this.#tracked.get(window.clientId);
    this.#tracked.set(window.clientId, {
      lastSeen: this.#clock.now(),
      interval: Math.max(this.#minInterval, window.windowEnd - window.windowStart),
      windowEnd: Math.max(window.windowEnd, previous?.windowEnd ?? Number.NEGATIVE_INFINITY),
    });
    if (this.#known.get(window.clientId)?.status !== 'ONLINE') {
      this.#publish(window.clientId, 'ONLINE', this.#clock.now());
    }
  }

  /** A report stored anywhere (this replica's own come back too): a newer one elsewhere takes the client over. */
  #reportedAnywhere(window: ReportedWindow): void {
    const mine = this.#tracked.get(window.clientId);
    if (mine && window.windowEnd > mine.windowEnd) this.#tracked.delete(window.clientId);
  }

  /** Another replica's event (or this one's, coming back): the newer by `at` wins. */
  #statusChangedAnywhere(event: ClientStatusEvent): void {
    const current = this.#known.get(event.clientId);
    if (!current || event.at > current.at) {
      this.#known.set(event.clientId, { status: event.status, at: event.at });
    }
  }
}

/** Follows reports and status events from now; `start()` starts the timer. */
export function createStatusTracker(options: StatusTrackerOptions): StatusTracker {
  return new StatusTracker(options);
}
