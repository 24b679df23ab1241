/**
 * Reports one window of this machine's CPU, memory and load to the server and prints the acknowledgement.
 *
 *   METRICS_URL=http://127.0.0.1:8888/graphql METRICS_TOKEN=<ingest token> npx tsx examples/report-metrics.ts
 *
 * Optional: METRICS_CLIENT_ID (default: this host's name), METRICS_WINDOW_MS (default 1000): the window
 * is sampled twice, at its start and at its end.
 */
import { cpus, freemem, hostname, loadavg, release, totalmem, type } from 'node:os';
import { createClient, SdkError, type StatInput } from '@metrics-collector/sdk/node';

const url = process.env.METRICS_URL ?? 'http://127.0.0.1:8888/graphql';
const token = process.env.METRICS_TOKEN || undefined;
const clientId = process.env.METRICS_CLIENT_ID || hostname();
const windowMs = Number(process.env.METRICS_WINDOW_MS ?? 1000);

/** Busy and total CPU time of each core since boot, ms. */
function cpuTimes() {
  return cpus().map(({ times }) => {
    const total = times.user + times.nice + times.sys + times.idle + times.irq;
    return { busy: total - times.idle, total };
  });
}

/** Statistics of a series of samples. */
function stats(samples: number[]): StatInput {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / samples.length;
  return { mean, variance, min: Math.min(...samples), max: Math.max(...samples) };
}

const windowStart = new Date();
const before = cpuTimes();
const usedBefore = 1 - freemem() / totalmem();
await new Promise((resolve) => setTimeout(resolve, windowMs));
const after = cpuTimes();
const windowEnd = new Date();
const usedAfter = 1 - freemem() / totalmem();

// Utilisation of each core over the window (0..1); the whole CPU's is their mean.
const cores = after.map((a, i) => {
  const b = before[i] ?? { busy: 0, total: 0 };
  const total = a.total - b.total;
  return total > 0 ? (a.busy - b.busy) / total : 0;
});
const utilization = cores.reduce((sum, u) => sum + u, 0) / Math.max(1, cores.length);
const [load1 = 0, load5 = 0, load15 = 0] = loadavg();

const client = createClient({ url, token });
try {
  const ack = await client.reportMetrics({
    clientId,
    windowStart,
    windowEnd,
    // One sample per series at each end of the window.
    observations: 2,
    hostname: hostname(),
    osType: type(),
    osVersion: release(),
    cpu: {
      utilization: { mean: utilization, variance: 0, min: utilization, max: utilization },
      cores: cores.map((u) => ({ mean: u, variance: 0, min: u, max: u })),
    },
    memory: { usedRatio: stats([usedBefore, usedAfter]), totalBytes: totalmem() },
    load: {
      load1: { mean: load1, variance: 0, min: load1, max: load1 },
      load5: { mean: load5, variance: 0, min: load5, max: load5 },
      load15: { mean: load15, variance: 0, min: load15, max: load15 },
    },
  });
  console.log(
    `reported ${ack.points} points of client ${ack.clientId} for ${ack.windowStart} .. ${ack.windowEnd}`,
  );
} catch (error) {
  if (!(error instanceof SdkError)) throw error;
  console.error(`report failed (${error.kind}${error.code ? `, ${error.code}` : ''}): ${error.message}`);
  process.exitCode = 1;
} finally {
  await client.close();
}
