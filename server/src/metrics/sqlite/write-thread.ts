/**
 * The embedded store's write thread (a `worker_threads` worker): it owns the write connection to
 * `metrics.db` and runs every group commit, merge and retention pass there, so that neither the inserts
 * nor the commit's fsync nor a merge block the server's event loop. Started by `WriteThread`
 * (write-pool.ts), which sends one group of writes at a time.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../sqlite/database.js';
import { migrations } from './migrations.js';
import type { WriteAnswer, WriteRequest } from './write-protocol.js';
import { MetricWrites } from './writes.js';

const { dataDir } = workerData as { dataDir: string };
const db = openDatabase(dataDir, 'metrics', migrations);
// Series ids come from the same connection's `series` table (`SeriesIds`): checking the reference for
// every row inserted cost a lookup per row.
db.pragma('foreign_keys = OFF');
const writes = new MetricWrites(db);
let closing = false;

const answer = (message: WriteAnswer) => parentPort?.postMessage(message);

/** Merges `recent` a chunk per transaction, letting the writes that arrive meanwhile in between chunks. */
async function merge(): Promise<number> {
  let total = 0;
  for (;;) {
    const moved = writes.mergeChunk();
    total += moved;
    if (moved === 0 || closing) return total;
    await nextTurn();
  }
}

parentPort?.on('message', async (request: WriteRequest) => {
  const { id } = request;
  try {
    switch (request.op) {
      case 'write':
        answer({ id, errors: writes.write(request.items) });
        return;
      case 'merge':
        answer({ id, value: await merge() });
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
