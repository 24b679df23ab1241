import { createServer, type Server, type ServerResponse } from 'node:http';
import { defaultLimits } from '@metrics-collector/schema/limits';
import { toPoints } from '@metrics-collector/schema/metrics/service';
import type { Stat } from '@metrics-collector/schema/metrics/types';
import { createSqliteMetricStore } from '@metrics-collector/server/metrics/sqlite/store';

/**
 * The store's floor for the REST report: a bare `node:http` server that parses the original JSON body,
 * turns it into the points the server stores (`toPoints`) and answers 200 once the embedded store
 * committed them, with nothing else of the server (no router, no checks of the body beyond `toPoints`,
 * no client registry, no live events, no telemetry). What the server reaches cannot be more than this:
 * the row shows how much of the gap to the raw baseline is the store's own (its write thread, group
 * commit and fsync, and its merge), and how much the rest of the server.
 */
export function createStoreFloor(dataDir: string): { server: Server; close(): Promise<void> } {
  const store = createSqliteMetricStore({ dataDir, retention: null });
  const ctx = { clock: { now: () => Date.now() }, limits: defaultLimits };
  const answer = (res: ServerResponse, status: number) => {
    res.writeHead(status, { 'content-length': 0 });
    res.end();
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let points: ReturnType<typeof toPoints>;
      try {
        points = toPoints(ctx, originalReport(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      } catch {
        return answer(res, 400);
      }
      store.write(points).then(
        () => answer(res, 200),
        () => answer(res, 503),
      );
    });
  });
  return { server, close: () => store.close() };
}

interface OriginalBody {
  user_id: string;
  start_timestamp: number;
  end_timestamp: number;
  observations_per_metric: number;
  os_type?: string;
  os_version?: string;
  metrics: {
    avg_utilization: number;
    var_utilization: number;
    avg_utilization_by_core: number[];
    var_utilization_by_core: number[];
  }[];
}

/** The report of an original body, taken as well-formed (the bench sends only such). */
function originalReport(body: OriginalBody) {
  const [cpu] = body.metrics;
  if (!cpu) throw new Error('no CPU metric');
  const stat = (mean: number, variance: number): Stat => ({ mean, variance, min: mean, max: mean });
  return {
    clientId: body.user_id,
    windowStart: new Date(body.start_timestamp),
    windowEnd: new Date(body.end_timestamp),
    observations: body.observations_per_metric,
    osType: body.os_type ?? null,
    osVersion: body.os_version ?? null,
    hostname: null,
    cpu: {
      utilization: stat(cpu.avg_utilization, cpu.var_utilization),
      cores: cpu.avg_utilization_by_core.map((mean, core) =>
        stat(mean, cpu.var_utilization_by_core[core] as number),
      ),
    },
  };
}
