import type { Clock } from '@metrics-collector/schema/clock';
import type { CommandStore } from '@metrics-collector/schema/commands/types';
import type { ServerLive } from '../live/index.js';
import type { Logger } from '../logger.js';
import { createSqliteCommandStore } from '../stores/sqlite-command-store.js';

export interface CommandsOptions {
  dataDir: string;
  live: ServerLive;
  clock: Clock;
  logger: Logger;
  /** How often the timer marks overdue commands EXPIRED and prunes old ones, ms. @default 60000 */
  checkInterval?: number;
  /** How long acknowledged and expired commands are kept, ms. @default 2592000000 (30 days) */
  retention?: number;
}

export interface Commands {
  store: CommandStore;
  /** Starts the expiry timer (`app.start()` calls it). Idempotent. */
  start(): void;
  stop(): Promise<void>;
  /** Expires overdue commands and prunes old ones as `clock.now()` says; the timer calls it. */
  check(): void;
}

/**
 * The command queue to agents, in `<dataDir>/commands.db`. Expiry is checked on every read and
 * transition (so an overdue command is never delivered) and by a timer (so the file shows it too). Tells
 * `live.commandStreamClosed` when a client's last `agentCommands` subscription on this server ends.
 */
export function createCommands(options: CommandsOptions): Commands {
  const { live, clock, logger } = options;
  const checkInterval = options.checkInterval ?? 60_000;
  const retention = options.retention ?? 30 * 86_400_000;
  const db = createSqliteCommandStore({ dataDir: options.dataDir });
  /** Open `agentCommands` subscriptions on this server, per client. */
  const streams = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const check = () => {
    const now = clock.now();
    const expired = db.expire(now);
    const pruned = db.prune(now - retention);
    if (expired > 0 || pruned > 0) logger.debug({ expired, pruned }, 'agent commands expired and pruned');
  };
  const start = () => {
    if (timer || stopped) return;
    timer = setInterval(() => {
      try {
        check();
      } catch (error) {
        logger.error({ err: error }, 'agent command expiry failed');
      }
    }, checkInterval);
    timer.unref();
  };
  // Store calls are synchronous (better-sqlite3); the promises keep the interface open to other stores.
  const using = <T>(work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const store: CommandStore = {
    enqueue: (command) => using(() => db.enqueue(command)),
    list: (clientId, query) => using(() => db.list(clientId, query)),
    unacknowledged: (clientId, now) => using(() => db.unacknowledged(clientId, now)),
    get: (id, now) => using(() => db.get(id, now)),
    deliver: (id, now) => using(() => db.deliver(id, now)),
    acknowledge: (id, outcome, message, now) => using(() => db.acknowledge(id, outcome, message, now)),
    openStream: (clientId) => {
      streams.set(clientId, (streams.get(clientId) ?? 0) + 1);
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        const left = (streams.get(clientId) ?? 1) - 1;
        if (left > 0) {
          streams.set(clientId, left);
          return;
        }
        streams.delete(clientId);
        if (!stopped) live.commandStreamClosed(clientId);
      };
    },
  };

  return {
    store,
    start,
    check,
    stop: async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      db.close();
    },
  };
}
