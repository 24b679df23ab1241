/**
 * The embedded store's write thread (a `worker_threads` worker): it owns the write connection to
 * `metrics.db` and runs every group commit, merge and retention pass there, so that neither the inserts
 * nor the commit's fsync nor a merge block the server's event loop. Started by `WriteThread`
 * (write-pool.ts), which sends a group of writes every turn of its event loop.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../sqlite/database.js';
import { MERGE_KEEP } from './inbox.js';
import { migrations } from './migrations.js';
import type { WriteAnswer, WriteRequest } from './write-protocol.js';
import { MetricWrites, type PackedItems } from './writes.js';

const { dataDir } = workerData as { dataDir: string };
const db = openDatabase(dataDir, 'metrics', migrations);
// Series ids come from the same connection's `series` table (`SeriesIds`): checking the reference for
// every row inserted cost a lookup per row.
db.pragma('foreign_keys = OFF');
const writes = new MetricWrites(db);
let closing = false;
/** Ingest groups written so far: a merge that sees one arrive between its chunks makes room for more. */
let groupsWritten = 0;

const answer = (message: WriteAnswer) => parentPort?.postMessage(message);

/**
 * Merges the inbox into `blocks` (all of it, or only what is due: `MERGE_KEEP`), a range of clients and
 * window starts per transaction (`Merger.plan`), letting the writes that arrive meanwhile in between
 * chunks. When ingest is busy (a group arrived in the turn after a chunk), the merge then waits as long as
 * the chunk took, so that ingest gets half of the thread rather than one commit per chunk: a single turn
 * lets through only the groups that arrived during the chunk.
 * Idle, the merge runs at full speed.
 */
async function merge(all: boolean): Promise<number> {
  let total = 0;
  for (const chunk of writes.mergePlan(all ? null : MERGE_KEEP)) {
    if (closing) break;
    const started = performance.now();
    total += writes.mergeChunk(chunk);
    const took = performance.now() - started;
    const groups = groupsWritten;
    await nextTurn();
    if (groupsWritten > groups) await sleep(took);
  }
  return total;
}

/** Groups received and not yet committed: every group that arrived during a commit or a merge chunk. */
let waiting: { id: number; items: PackedItems }[] = [];

/**
 * Commits the groups that arrived since the last commit in one transaction, and answers each group with
 * its items' outcomes. The main thread sends a group every turn without waiting for the previous one's
 * answer (write-pool.ts), so the thread starts its next commit as soon as one ends, with whatever came.
 */
function commitWaiting(): void {
  const groups = waiting;
  if (groups.length === 0) return;
  waiting = [];
  try {
    const errors = writes.write(joinGroups(groups.map((g) => g.items)));
    let from = 0;
    for (const { id, items } of groups) {
      answer({ id, errors: errors.slice(from, from + items.sizes.length) });
      from += items.sizes.length;
    }
  } catch (error) {
    for (const { id } of groups) answer({ id, error: (error as Error).message ?? String(error) });
  }
}

/** Groups, in the order they were sent, as one (their keys continue each other's). */
function joinGroups(groups: PackedItems[]): PackedItems {
  const [first] = groups as [PackedItems];
  if (groups.length === 1) return first;
  const numbers = new Float64Array(groups.reduce((n, g) => n + g.numbers.length, 0));
  let o = 0;
  for (const g of groups) {
    numbers.set(g.numbers, o);
    o += g.numbers.length;
  }
  return {
    numbers,
    sizes: groups.flatMap((g) => g.sizes),
    newKeys: groups.flatMap((g) => g.newKeys),
    firstKey: first.firstKey,
  };
}

parentPort?.on('message', async (request: WriteRequest & { id: number }) => {
  const { id } = request;
  // Other requests come after the writes sent before them, as they did when each write committed at once.
  if (request.op !== 'write') commitWaiting();
  try {
    switch (request.op) {
      case 'write':
        groupsWritten += 1;
        waiting.push({ id, items: request.items });
        if (waiting.length === 1) setImmediate(commitWaiting);
        return;
      case 'merge':
        answer({ id, value: await merge(request.all) });
        return;
      case 'retention':
        answer({ id, value: writes.enforceRetention(request.retention) });
        return;
      case 'close':
        closing = true;
        db.close();
        answer({ id, value: 0 });
        return;
    }
  } catch (error) {
    answer({ id, error: (error as Error).message ?? String(error) });
  }
});
