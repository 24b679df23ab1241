import { promised } from '@metrics-collector/common/promise';
import { type BackgroundTimer, backgroundTimer } from '@metrics-collector/common/timer';
import type { Clock } from '@metrics-collector/schema/clock';
import type { CommandStore } from '@metrics-collector/schema/commands/types';
import type { Logger } from '../logger.js';
import { CommandTable } from './table.js';

/** Where the commands are kept: the store and what the expiry timer needs besides it. */
export interface CommandBackend {
  store: CommandStore;
  /** Marks overdue commands EXPIRED; how many. */
  expire(now: number): number | Promise<number>;
  /** Deletes final commands last changed before `before`; how many. */
  prune(before: number): number | Promise<number>;
  /** How many commands are kept in each status (`/metrics`). */
  countByStatus(): [string, number][] | Promise<[string, number][]>;
  close(): void;
}

export interface CommandsOptions {
  dataDir: string;
  /** Another backend than `<dataDir>/commands.db`, such as PostgreSQL's (pg-store.ts). */
  backend?: CommandBackend;
  clock: Clock;
  logger: Logger;
  /** How often the timer marks overdue commands EXPIRED and prunes old ones, ms. @default 60000 */
  checkInterval?: number;
  /** How long acknowledged and expired commands are kept, ms. @default 2592000000 (30 days) */
  retention?: number;
}

/**
 * The command queue to agents, in `<dataDir>/commands.db` (table.ts) or PostgreSQL (pg-store.ts). Expiry is checked on every read and
 * transition (so an overdue command is never delivered) and by a timer (so the file shows it too). The
 * store only persists: open `agentCommands` streams are tracked by the live layer
 * (`live.openCommandStream`).
 */
export class Commands {
  /** The `CommandStore` of the resolvers' context. */
  readonly store: CommandStore;
  readonly #options: CommandsOptions;
  readonly #table: CommandBackend;
  readonly #timer: BackgroundTimer;

  constructor(options: CommandsOptions) {
    this.#options = options;
    this.#table = options.backend ?? sqliteBackend(new CommandTable(options.dataDir));
    this.store = this.#table.store;
    this.#timer = backgroundTimer({
      intervalMs: options.checkInterval ?? 60_000,
      run: () => this.check(),
      onError: (error) => options.logger.error({ err: error }, 'agent command expiry failed'),
    });
  }

  /** Starts the expiry timer (`app.start()` calls it). Idempotent. */
  start(): void {
    this.#timer.start();
  }

  async stop(): Promise<void> {
    this.#timer.stop();
    this.#table.close();
  }

  /** How many commands are kept in each status, for `/metrics`. */
  countByStatus(): [string, number][] | Promise<[string, number][]> {
    return this.#table.countByStatus();
  }

  /** Expires overdue commands and prunes old ones as `clock.now()` says; the timer calls it. */
  async check(): Promise<void> {
    const now = this.#options.clock.now();
    const expired = await this.#table.expire(now);
    const pruned = await this.#table.prune(now - (this.#options.retention ?? 30 * 86_400_000));
    if (expired > 0 || pruned > 0) {
      this.#options.logger.debug({ expired, pruned }, 'agent commands expired and pruned');
    }
  }
}

/** Opens `commands.db`; `start()` starts the expiry timer. */
export function createCommands(options: CommandsOptions): Commands {
  return new Commands(options);
}

/**
 * The SQLite table as a backend. Its calls are synchronous (better-sqlite3); the promises keep the
 * interface open to other stores.
 */
function sqliteBackend(table: CommandTable): CommandBackend {
  return {
    store: {
      enqueue: (command) => promised(() => table.enqueue(command)),
      list: (clientId, query) => promised(() => table.list(clientId, query)),
      unacknowledged: (clientId, now) => promised(() => table.unacknowledged(clientId, now)),
      get: (id, now) => promised(() => table.get(id, now)),
      deliver: (id, now) => promised(() => table.deliver(id, now)),
      acknowledge: (id, outcome, message, now) =>
        promised(() => table.acknowledge(id, outcome, message, now)),
      forgetClient: (clientId, now) => promised(() => table.forgetClient(clientId, now)),
    },
    countByStatus: () => table.countByStatus(),
    expire: (now) => table.expire(now),
    prune: (before) => table.prune(before),
    close: () => table.close(),
  };
}
