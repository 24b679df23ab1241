/**
 * The fan-out part's reports, sent from a process of their own (`Reporter` in fanout-reporter.ts starts it):
 * `node --import tsx fanout-reporter-process.ts <port> <base>`. It sends each report at its scheduled time
 * and times the answer on an idle event loop. In the bench process, whose event loop the subscribers' ten
 * thousand sockets keep busy, a report's answer waited there too: past the fan-out maximum, report p99 read
 * 900–990 ms while the server had answered within about 110 ms.
 *
 * Messages in: `{ id, from, count, rate, startAt, timed }`, reports `from` … `from + count - 1`, the k-th at
 * `startAt + k × 1000 / rate` (epoch ms). Out: `{ ready: true }` once, then per run `{ id, sent: true, seconds }` once
 * every report went out (`seconds` after the first was due) and `{ id, latencies, failed }` once every one was answered (`latencies` in ms, only
 * when `timed`).
 */
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { epochNow } from './fanout-subscriber.js';
import { httpRequest } from './http.js';
import { bodyFactory } from './workload.js';

export interface ReporterRun {
  id: number;
  from: number;
  count: number;
  rate: number;
  startAt: number;
  timed: boolean;
}

export type ReporterMessage =
  | { ready: true }
  | { id: number; sent: true; seconds: number }
  | { id: number; latencies: number[]; failed: number };

const [port, base] = process.argv.slice(2).map(Number) as [number, number];
const body = bodyFactory('graphql', base);
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const tell = (message: ReporterMessage) => process.send?.(message);
let failed = 0;

/** Sends report `i`; resolves with its latency in ms, or `null` when it failed (counted). */
async function report(i: number): Promise<number | null> {
  const started = performance.now();
  try {
    const { status, text } = await httpRequest({
      port,
      method: 'POST',
      path: '/graphql',
      body: body(i),
      headers: { 'content-type': 'application/json' },
      agent,
    });
    if (status === 200 && text.startsWith('{"data":{"reportMetrics":{') && !text.includes('"errors"'))
      return performance.now() - started;
    if (failed++ < 3) console.error(`  [fanout] report answered ${status} ${text.slice(0, 300)}`);
  } catch (error) {
    if (failed++ < 3) console.error(`  [fanout] report failed: ${(error as Error).message}`);
  }
  return null;
}

process.on('message', async (run: ReporterRun) => {
  const before = failed;
  const answers: Promise<number | null>[] = [];
  for (let k = 0; k < run.count; k += 1) {
    const wait = run.startAt + (k * 1000) / run.rate - epochNow();
    if (wait > 0) await sleep(wait);
    answers.push(report(run.from + k));
  }
  tell({ id: run.id, sent: true, seconds: (epochNow() - run.startAt) / 1000 });
  const latencies = (await Promise.all(answers)).filter((l): l is number => l !== null);
  tell({ id: run.id, latencies: run.timed ? latencies : [], failed: failed - before });
});
process.on('disconnect', () => {
  agent.destroy();
  process.exit(0);
});
tell({ ready: true });
