/**
 * Seeding the history parts: 7 days of 10-second windows (`HISTORY_WINDOWS`) of `clients` clients, the
 * history client (`HISTORY_CLIENT`) among them, through `app.metrics.write` (the store's own write path,
 * group-committed). Time-major, as a fleet reports: each window of every client before the next window;
 * the points of one window's clients go in one `write`, and a day of windows' writes at a time is awaited
 * together, so they commit in large groups. Run in the server process (`server-process.ts`).
 */
import { defaultLimits } from '@metrics-collector/schema/limits';
import { toPoints } from '@metrics-collector/schema/metrics/service';
import type { SeriesPoint } from '@metrics-collector/schema/metrics/types';
import type { App } from '@metrics-collector/server/app';
import { fleetClient, HISTORY_CLIENT, HISTORY_WINDOWS, historyReport } from './workload.js';

/** The ids of a seeded fleet of `clients`: the history client first, then MAC addresses. */
export const seedClients = (clients: number): string[] =>
  Array.from({ length: clients }, (_, c) => (c === 0 ? HISTORY_CLIENT : fleetClient(c, clients)));

/** Reports (not points) awaited together: about 1 day of one client, or 10 windows of 1,000 clients. */
const REPORTS_PER_GROUP = 8_640;

/** Stores the week from `from` for `clients` clients; resolves with the milliseconds it took. */
export async function seedHistory(app: App, from: number, clients: number): Promise<number> {
  const started = performance.now();
  const ctx = { clock: { now: () => Date.now() }, limits: defaultLimits };
  const ids = seedClients(clients);
  const windowsPerGroup = Math.max(1, Math.floor(REPORTS_PER_GROUP / clients));
  for (let first = 0; first < HISTORY_WINDOWS; first += windowsPerGroup) {
    const writes: Promise<void>[] = [];
    for (let i = first; i < Math.min(first + windowsPerGroup, HISTORY_WINDOWS); i += 1) {
      const points: SeriesPoint[] = [];
      for (const clientId of ids) {
        for (const p of toPoints(ctx, { ...historyReport(from, i), clientId })) points.push(p);
      }
      writes.push(app.metrics.write(points));
    }
    await Promise.all(writes);
  }
  await recordSightings(app, from, ids);
  return performance.now() - started;
}

/** Records each client as seen at the end of the week from `from`, as its last report would. */
export async function recordSightings(app: App, from: number, ids: string[]): Promise<void> {
  const last = historyReport(from, HISTORY_WINDOWS - 1);
  for (const id of ids) {
    await app.state.recordSighting({
      id,
      hostname: null,
      osType: last.osType ?? null,
      osVersion: last.osVersion ?? null,
      coreCount: last.cpu?.cores?.length ?? null,
      seenAt: last.windowEnd.getTime(),
    });
  }
}
