/**
 * The embedded store's write thread (a `worker_threads` worker): it owns the write connection to
 * `metrics.db` and runs every group commit, merge and retention pass there, so that neither the inserts
 * nor the commit's fsync nor a merge block the server's event loop. Started by `WriteThread`
 * (write-pool.ts), which sends one group of writes at a time.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../sqlite/database.js';
import { migrations } from './migrations.js';
import { MERGE_KEEP } from './recent.js';
import type { WriteAnswer, WriteRequest } from './write-protocol.js';
import { MetricWrites } from './writes.js';

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
 * Merges `recent` into `points` (all of it, or only what is due: `MERGE_KEEP`), a range of series and
 * window starts per transaction (`Merger.plan`), letting the writes that arrive meanwhile in between
 * chunks. When ingest is busy (a group arrived in the turn after a chunk), the merge then waits as long as
 * the chunk took, so that ingest gets half of the thread rather than one group per chunk: the main thread
 * sends its next group only once the previous one is answered, so a single turn lets one group through.
 * Idle, the merge runs at full speed.
 */
async function merge(all: boolean): Promise<number> {
  const plan = writes.mergePlan(all ? null : MERGE_KEEP);
  if (!plan) return 0;
  let total = 0;
  for (const [from, to] of plan.slices) {
    if (closing) break;
    for (let lo = 1; lo <= plan.lastSeries && !closing; lo += plan.seriesPerChunk) {
      const started = performance.now();
      // Series made after the plan wait for the next merge.
      const hi = Math.min(lo + plan.seriesPerChunk - 1, plan.lastSeries);
      total += writes.mergeChunk({ from, to, lo, hi });
      const took = performance.now() - started;
      const groups = groupsWritten;
      await nextTurn();
      if (groupsWritten > groups) await sleep(took);
    }
  }
  return total;
}

parentPort?.on('message', async (request: WriteRequest & { id: number }) => {
  const { id } = request;
  try {
    switch (request.op) {
      case 'write':
        groupsWritten += 1;
        answer({ id, errors: writes.write(request.items) });
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
