/**
 * The state stores' contract (client registry and command queue): every implementation gives the answers
 * the tests in this folder expect. `describeStateContract` runs a file's tests once per implementation,
 * each test on a new, empty place (a folder, or a database on this file's PostgreSQL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertStore } from '@metrics-collector/schema/alerts/types';
import type { StateStore } from '@metrics-collector/schema/clients/types';
import type { CommandStore } from '@metrics-collector/schema/commands/types';
import { afterEach, beforeEach, describe } from 'vitest';
import { createAlerting } from '../../src/alerts/index.js';
import { PgStateStore } from '../../src/clients/pg-store.js';
import { createSqliteStateStore } from '../../src/clients/sqlite-store.js';
import { createCommands } from '../../src/commands/index.js';
import { pgCommandBackend } from '../../src/commands/pg-store.js';
import { createLive } from '../../src/live/index.js';
import { createLogger } from '../../src/logger.js';
import { PgDatabase } from '../../src/pg/database.js';
import { hasPostgres, postgresDatabase, startPostgresForFile } from '../postgres.js';

/** One server's stores over the shared place. */
export interface OpenedState {
  state: StateStore;
  commands: CommandStore;
  alerts: AlertStore;
  /** Resolves once the alert rules are read (PostgreSQL: and followed). */
  ready(): Promise<void>;
  /** A report of `clientId`'s CPU for the window ending `windowEnd`, evaluated and its transitions stored. */
  report(clientId: string, windowEnd: number, cpu: number): Promise<void>;
  /** The expiry timer's work, now. */
  expire(): Promise<void>;
  close(): Promise<void>;
}

/** Adds the alert store and its evaluation, on `db` or in `dataDir`, to a server's other stores. */
function withAlerts(
  stores: Omit<OpenedState, 'alerts' | 'ready' | 'report'>,
  where: { dataDir: string; db?: PgDatabase },
  ctx: StateContext,
): OpenedState {
  const live = createLive({ logger });
  const alerting = createAlerting({ ...where, live, clock: { now: () => ctx.now }, logger });
  return {
    ...stores,
    alerts: alerting.store,
    ready: () => alerting.ready(),
    report: async (clientId, windowEnd, cpu) => {
      const windowStart = windowEnd - 10_000;
      const points = [
        { clientId, metric: 'CPU_UTILIZATION' as const, core: null, windowStart, windowEnd },
      ].map((p) => ({ ...p, count: 10, mean: cpu, variance: 0, min: cpu, max: cpu }));
      live.reported({ clientId, windowStart, windowEnd, observations: 10, points });
      await alerting.settled();
    },
    close: async () => {
      await alerting.stop();
      await stores.close();
      await live.close();
    },
  };
}

export interface StateContext {
  /** Opens the stores on this test's place (again: a restart, or another replica with `shared`). */
  open(): OpenedState;
  /** Whether two opened at once see each other's writes at once (replicas): PostgreSQL, not SQLite. */
  shared: boolean;
  /** The clock the commands' expiry timer reads. */
  now: number;
}

interface Implementation {
  name: string;
  available: () => boolean;
  shared: boolean;
  place(): Promise<{ where: string; remove(): void }>;
  open(where: string, ctx: StateContext): OpenedState;
}

const logger = createLogger('silent');

const implementations: Implementation[] = [
  {
    name: 'sqlite',
    available: () => true,
    shared: false,
    place: async () => {
      const where = mkdtempSync(join(tmpdir(), 'mc-state-'));
      return { where, remove: () => rmSync(where, { recursive: true, force: true }) };
    },
    open: (dataDir, ctx) => {
      const state = createSqliteStateStore({ dataDir });
      const commands = createCommands({ dataDir, clock: { now: () => ctx.now }, logger });
      return withAlerts(
        {
          state,
          commands: commands.store,
          expire: () => commands.check(),
          close: async () => {
            await state.close();
            await commands.stop();
          },
        },
        { dataDir },
        ctx,
      );
    },
  },
  {
    name: 'postgresql',
    available: hasPostgres,
    shared: true,
    place: async () => ({ where: await postgresDatabase(), remove: () => undefined }),
    open: (url, ctx) => {
      const db = new PgDatabase({ url });
      const state = new PgStateStore(db);
      const commands = createCommands({
        dataDir: '',
        clock: { now: () => ctx.now },
        logger,
        backend: pgCommandBackend(db),
      });
      return withAlerts(
        {
          state,
          commands: commands.store,
          expire: () => commands.check(),
          close: async () => {
            await state.close();
            await commands.stop();
            await db.close();
          },
        },
        { dataDir: '', db },
        ctx,
      );
    },
  },
];

/** Registers `tests` once per implementation, in a file that starts (and stops) its own PostgreSQL. */
export function describeStateContract(tests: (ctx: StateContext) => void): void {
  startPostgresForFile();

  describe.each(implementations)('state contract: $name', (impl) => {
    const ctx = { shared: impl.shared, now: 0 } as StateContext;
    let place: { where: string; remove(): void } | undefined;
    const opened: OpenedState[] = [];

    beforeEach(async ({ skip }) => {
      if (!impl.available()) skip();
      ctx.now = 0;
      place = await impl.place();
      const where = place.where;
      ctx.open = () => {
        const stores = impl.open(where, ctx);
        opened.push(stores);
        return stores;
      };
    });
    afterEach(async () => {
      for (const stores of opened.splice(0)) await stores.close().catch(() => undefined);
      place?.remove();
    });

    tests(ctx);
  });
}
