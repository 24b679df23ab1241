/**
 * The embedded store's read thread (a `worker_threads` worker): it runs history and summary queries on a
 * connection of its own to `metrics.db`, so that a read scanning days of windows never blocks the server's
 * event loop. WAL mode lets it read while the main thread writes; it sees every committed write.
 * Started by `startReadThread` (read-pool.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { packRows, type ReadAnswer, type ReadRequest } from './read-protocol.js';
import { createMetricReads, type MetricReads } from './reads.js';

const db = new Database((workerData as { file: string }).file, { fileMustExist: true });
// A writer holding the lock delays a read here, not the event loop; waiting is cheap in this thread.
db.pragma('busy_timeout = 5000');
db.pragma('query_only = ON');
const reads = createMetricReads(db);

parentPort?.on('message', ({ id, op, args }: ReadRequest) => {
  let answer: ReadAnswer;
  try {
    if (op === 'history') {
      const rows = reads.history(...(args as Parameters<MetricReads['history']>));
      answer = { id, numbers: packRows(rows), clientIds: null };
    } else {
      const rows = reads.summarize(...(args as Parameters<MetricReads['summarize']>));
      answer = { id, numbers: packRows(rows), clientIds: rows.map((r) => r.clientId) };
    }
  } catch (error) {
    answer = { id, error: (error as Error).message };
  }
  parentPort?.postMessage(answer, 'numbers' in answer ? [answer.numbers.buffer as ArrayBuffer] : []);
});
