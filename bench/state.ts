/**
 * State stores (`BENCH_ONLY=state`): the state operations of the ingest and command paths on PostgreSQL
 * (`DATABASE_URL`, a real `postgres` started on a free port) beside the SQLite stores of one server, in the
 * same run, alternating rounds:
 *
 * - registry: `recordSighting` for a fleet of 1,000 clients taking turns, each a newer window: of a known
 *   host whose details did not change (most reports: both stores write its `lastSeen` later, in the
 *   background), and with changed details (written before the report is acknowledged);
 * - command cycle: `enqueue` → `deliver` → `acknowledge` (APPLIED) of one command, each cycle for another
 *   client;
 * - the background write of those deferred `lastSeen`s for a fleet of 10,000 hosts that each reported
 *   once since the last one (PostgreSQL writes them every 2 s, SQLite every 10 s): what a fleet costs the
 *   database however few reports change a host's details (docs/scaling.md's sizing).
 *
 * Each keeps `concurrency` operations in flight, as the ingest bench keeps its connections busy; the stores
 * run in this process, PostgreSQL in its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StateStore } from '@metrics-collector/schema/clients/types';
import type { CommandStore } from '@metrics-collector/schema/commands/types';
import { PgStateStore } from '../server/src/clients/pg-store.js';
import { createSqliteStateStore } from '../server/src/clients/sqlite-store.js';
import { createCommands } from '../server/src/commands/index.js';
import { pgCommandBackend } from '../server/src/commands/pg-store.js';
import { createLogger } from '../server/src/logger.js';
import { PgDatabase } from '../server/src/pg/database.js';
import { postgresBinary, startPostgres } from '../testing/postgres.js';
import { hasBinary } from '../testing/real-servers.js';
import { fixed, table, thousands } from './table.js';

export interface StateSettings {
  seconds: number;
  rounds: number;
  concurrency: number;
  /** Where the SQLite files go (on disk, as the servers' data). */
  dataRoot: string;
}

interface Stores {
  state: StateStore;
  commands: CommandStore;
  close(): Promise<void>;
}

export interface StateRow {
  operation: string;
  /** Operations per second, [SQLite, PostgreSQL]. */
  rates: [number, number];
  /** Mean latency of one operation, ms. */
  latencies: [number, number];
}

export const stateAvailable = (): boolean => hasBinary(postgresBinary);

const CLIENTS = 1_000;
const logger = createLogger('silent');

/** Runs `op` with `concurrency` in flight for `ms`; resolves how many completed and their total ms. */
/** The operations' sequence number, across rounds: each sighting is newer than every one before. */
let next = 0;

async function drive(op: (i: number) => Promise<void>, ms: number, concurrency: number) {
  const until = performance.now() + ms;
  let done = 0;
  let busy = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const started = performance.now();
      await op(next++);
      busy += performance.now() - started;
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { done, busy };
}

export async function stateBench(settings: StateSettings): Promise<StateRow[]> {
  const postgres = await startPostgres();
  const dataDir = mkdtempSync(join(settings.dataRoot, 'state-'));
  const now = { t: Date.UTC(2026, 0, 1) };
  const sqlite: Stores = (() => {
    const state = createSqliteStateStore({ dataDir });
    const commands = createCommands({ dataDir, clock: { now: () => now.t }, logger });
    return {
      state,
      commands: commands.store,
      close: async () => {
        await state.close();
        await commands.stop();
      },
    };
  })();
  const db = new PgDatabase({ url: postgres.url });
  await db.ready;
  const pgCommands = createCommands({
    dataDir: '',
    clock: { now: () => now.t },
    logger,
    backend: pgCommandBackend(db),
  });
  const pg: Stores = {
    state: new PgStateStore(db),
    commands: pgCommands.store,
    close: async () => {
      await pgCommands.stop();
      await db.close();
    },
  };
  const operations: [string, (stores: Stores) => (i: number) => Promise<void>][] = [
    [
      'registry: a report of a known host (only lastSeen moves)',
      (s) => (i) =>
        s.state.recordSighting({
          id: `host-${i % CLIENTS}`,
          hostname: `host-${i % CLIENTS}.example`,
          osType: 'Linux',
          osVersion: '6.1',
          coreCount: 8,
          seenAt: now.t + i * 10,
        }),
    ],
    [
      'registry: a report whose host details changed (committed before the ack)',
      (s) => (i) =>
        s.state.recordSighting({
          id: `host-${i % CLIENTS}`,
          hostname: `host-${i % CLIENTS}.example`,
          osType: 'Linux',
          osVersion: `6.${i}`,
          coreCount: 8,
          seenAt: now.t + i * 10,
        }),
    ],
    [
      'command send → deliver → ack',
      (s) => async (i) => {
        const at = now.t + i;
        const sent = await s.commands.enqueue({
          clientId: `host-${i % CLIENTS}`,
          type: 'SET_SAMPLING_INTERVAL',
          intervalMs: 1_000,
          createdAt: at,
          expiresAt: at + 3_600_000,
        });
        await s.commands.deliver(sent.id, at);
        await s.commands.acknowledge(sent.id, 'APPLIED', null, at);
      },
    ],
  ];
  const rows: StateRow[] = [];
  try {
    rows.push(await lastSeenFlush(settings, dataDir, db));
    for (const [operation, make] of operations) {
      const totals = [
        { done: 0, busy: 0, ms: 0 },
        { done: 0, busy: 0, ms: 0 },
      ];
      const ops = [make(sqlite), make(pg)];
      const slice = (settings.seconds * 1_000) / settings.rounds;
      await drive(ops[0] as (i: number) => Promise<void>, 300, settings.concurrency); // warm-up
      await drive(ops[1] as (i: number) => Promise<void>, 300, settings.concurrency);
      for (let round = 0; round < settings.rounds; round += 1) {
        for (const side of round % 2 === 0 ? [0, 1] : [1, 0]) {
          const started = performance.now();
          const { done, busy } = await drive(
            ops[side] as (i: number) => Promise<void>,
            slice,
            settings.concurrency,
          );
          const total = totals[side] as (typeof totals)[0];
          total.done += done;
          total.busy += busy;
          total.ms += performance.now() - started;
        }
      }
      const [a, b] = totals as [(typeof totals)[0], (typeof totals)[0]];
      rows.push({
        operation,
        rates: [(a.done * 1_000) / a.ms, (b.done * 1_000) / b.ms],
        latencies: [a.busy / a.done, b.busy / b.done],
      });
    }
  } finally {
    await sqlite.close();
    await pg.close();
    rmSync(dataDir, { recursive: true, force: true });
    await postgres.stop();
  }
  return rows;
}

const FLUSH_CLIENTS = 10_000;

/**
 * The background `lastSeen` write of FLUSH_CLIENTS hosts, each seen again with unchanged details, timed
 * through `close()` (which writes what is deferred): a fresh store per round, alternating stores. The
 * rate is rows written per second.
 */
async function lastSeenFlush(settings: StateSettings, dataRoot: string, db: PgDatabase): Promise<StateRow> {
  const make = [
    (round: number) => createSqliteStateStore({ dataDir: mkdtempSync(join(dataRoot, `flush-${round}-`)) }),
    () => new PgStateStore(db, { lastSeenFlushInterval: 3_600_000 }),
  ];
  const ms = [0, 0];
  let seenAt = Date.UTC(2026, 0, 1);
  for (let round = 0; round < settings.rounds; round += 1) {
    for (const side of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const store = (make[side] as (round: number) => StateStore)(round);
      const sighting = (i: number) => ({
        id: `fleet-${i}`,
        hostname: `fleet-${i}.example`,
        osType: 'Linux',
        osVersion: '6.1',
        coreCount: 8,
        seenAt,
      });
      await Promise.all(Array.from({ length: FLUSH_CLIENTS }, (_, i) => store.recordSighting(sighting(i))));
      seenAt += 10_000;
      await Promise.all(Array.from({ length: FLUSH_CLIENTS }, (_, i) => store.recordSighting(sighting(i))));
      seenAt += 10_000;
      const started = performance.now();
      await store.close();
      ms[side] = (ms[side] as number) + performance.now() - started;
    }
  }
  const [sqliteMs, pgMs] = ms.map((m) => m / settings.rounds) as [number, number];
  return {
    operation: `registry: the background lastSeen write of ${thousands(FLUSH_CLIENTS)} hosts (ops = rows)`,
    rates: [(FLUSH_CLIENTS * 1_000) / sqliteMs, (FLUSH_CLIENTS * 1_000) / pgMs],
    latencies: [sqliteMs, pgMs],
  };
}

export function printState(rows: StateRow[], concurrency: number): void {
  console.log(`\n## State stores: PostgreSQL beside SQLite (${concurrency} operations in flight)\n`);
  console.log(
    table(
      ['operation', 'SQLite ops/s', 'PostgreSQL ops/s', 'PostgreSQL / SQLite', 'SQLite ms', 'PostgreSQL ms'],
      rows.map((r) => [
        r.operation,
        thousands(r.rates[0]),
        thousands(r.rates[1]),
        fixed(r.rates[1] / r.rates[0], 2),
        fixed(r.latencies[0], 2),
        fixed(r.latencies[1], 2),
      ]),
      [false, true, true, true, true, true],
    ),
  );
}
