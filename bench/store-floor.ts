import { createServer, type Server, type ServerResponse } from 'node:http';
import { defaultLimits } from '@metrics-collector/schema/limits';
import { toPoints } from '@metrics-collector/schema/metrics/service';
import { toReport } from '@metrics-collector/server/http/rest-v1';
import { createSqliteMetricStore } from '@metrics-collector/server/metrics/sqlite/store';

/**
 * The store's floor for the REST report: a bare `node:http` server that parses the original JSON body,
 * turns it into the points the server stores (the REST shim's `toReport`, then `toPoints`) and answers 200
 * once the embedded store committed them, with nothing else of the server (no router, cross-site checks,
 * auth, client registry, live events or telemetry). What the server reaches cannot be more than this: the
 * row shows how much of the gap to the raw baseline is the store's own (its write thread, group commit and
 * fsync, and its merge), and how much the rest of the server.
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
        points = toPoints(ctx, toReport(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
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
