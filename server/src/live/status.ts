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

export interface StatusTracker {
  /** Starts the timer. Idempotent; the first report starts it too. Events are followed from creation. */
  start(): void;
  stop(): Promise<void>;
  /** Moves the clients this replica tracks to STALE or OFFLINE as `clock.now()` says; the timer calls it. */
  check(): void;
  /**
   * The client's command stream (`agentCommands`) closed: it is OFFLINE now, until its next report.
   * Also reachable as `live.commandStreamClosed(clientId)`, which the commands module calls.
   */
  commandStreamClosed(clientId: string): void;
  /** The client's last status this replica knows of (its own events and other replicas'), `null` if none. */
  statusOf(clientId: string): ClientStatus | null;
  /** The clients whose STALE/OFFLINE timers run on this replica: those whose newest report it stored. */
  tracked(): string[];
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
export function createStatusTracker(options: StatusTrackerOptions): StatusTracker {
  const { live, clock, logger } = options;
  const checkInterval = options.checkInterval ?? 1_000;
  const staleAfter = options.staleAfter ?? 3;
  const offlineAfter = options.offlineAfter ?? 10;
  const minInterval = options.minInterval ?? 1_000;
  /** Each client's last status and when it changed, from this replica's events and others'. */
  const known = new Map<string, { status: ClientStatus; at: number }>();
  const tracked = new Map<string, Tracked>();
  const followed: (() => void)[] = [];
  let timer: NodeJS.Timeout | null = null;
  let state: 'new' | 'started' | 'stopped' = 'new';

  const publish = (clientId: string, status: ClientStatus, at: number) => {
    const event: ClientStatusEvent = { clientId, status, previous: known.get(clientId)?.status ?? null, at };
    known.set(clientId, { status, at });
    logger.debug(event, 'client status changed');
    live.pubsub.publish('clientStatusChanged', event);
  };

  const reported = (window: ReportedWindow) => {
    if (state === 'new') start();
    const previous = tracked.get(window.clientId);
    tracked.set(window.clientId, {
      lastSeen: clock.now(),
      interval: Math.max(minInterval, window.windowEnd - window.windowStart),
      windowEnd: Math.max(window.windowEnd, previous?.windowEnd ?? Number.NEGATIVE_INFINITY),
    });
    if (known.get(window.clientId)?.status !== 'ONLINE') publish(window.clientId, 'ONLINE', clock.now());
  };

  /** A report stored anywhere (this replica's own come back too): a newer one elsewhere takes the client over. */
  const reportedAnywhere = (window: ReportedWindow) => {
    const mine = tracked.get(window.clientId);
    if (mine && window.windowEnd > mine.windowEnd) tracked.delete(window.clientId);
  };

  /** Another replica's event (or this one's, coming back): the newer by `at` wins. */
  const statusChangedAnywhere = (event: ClientStatusEvent) => {
    const current = known.get(event.clientId);
    if (!current || event.at > current.at) known.set(event.clientId, { status: event.status, at: event.at });
  };

  const check = () => {
    const now = clock.now();
    for (const [clientId, client] of tracked) {
      const silent = now - client.lastSeen;
      const target: ClientStatus =
        silent >= offlineAfter * client.interval
          ? 'OFFLINE'
          : silent >= staleAfter * client.interval
            ? 'STALE'
            : 'ONLINE';
      const current = known.get(clientId)?.status ?? 'ONLINE';
      if (rank[target] > rank[current]) {
        // The moment the threshold passed, even when the timer runs late.
        const missed = target === 'OFFLINE' ? offlineAfter : staleAfter;
        publish(clientId, target, client.lastSeen + missed * client.interval);
      }
      // An OFFLINE client has nothing left to time until its next report.
      if (target === 'OFFLINE' || current === 'OFFLINE') tracked.delete(clientId);
    }
  };

  const commandStreamClosed = (clientId: string) => {
    tracked.delete(clientId);
    if (known.get(clientId)?.status !== 'OFFLINE') publish(clientId, 'OFFLINE', clock.now());
  };

  /** Arms the timer; a report arms it too, so a tracker that nobody started still times its clients. */
  function start() {
    if (state !== 'new') return;
    state = 'started';
    if (checkInterval > 0) {
      timer = setInterval(() => {
        try {
          check();
        } catch (error) {
          logger.error({ err: error }, 'client status check failed');
        }
      }, checkInterval);
      timer.unref();
    }
  }

  // Other replicas' reports and events are followed from the start, whether or not this replica stores
  // any report, so that it knows every client's status when one moves here.
  followed.push(live.pubsub.listen('metricReported', reportedAnywhere));
  followed.push(live.pubsub.listen('clientStatusChanged', statusChangedAnywhere));
  live.onReport((window) => {
    if (state !== 'stopped') reported(window);
  });
  live.onCommandStreamClosed((clientId) => {
    if (state !== 'stopped') commandStreamClosed(clientId);
  });

  return {
    start,
    stop: async () => {
      state = 'stopped';
      if (timer) clearInterval(timer);
      timer = null;
      for (const unlisten of followed) unlisten();
      followed.length = 0;
    },
    check,
    commandStreamClosed,
    statusOf: (clientId) => known.get(clientId)?.status ?? null,
    tracked: () => [...tracked.keys()],
  };
}
