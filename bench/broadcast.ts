/**
 * The fan-out part's baseline: a bare `ws` server, in its own process, that broadcasts one pre-serialised
 * frame per report to every socket. It speaks just enough of graphql-ws (`connection_ack`, `pong`) for the
 * fan-out subscribers (`fanout-subscriber.ts`) to connect to it as they connect to the real server, and it
 * takes the same reports over HTTP (`POST /graphql`, the `reportMetrics` body): it parses the body, builds
 * one `next` frame in the shape of a `metricReported` event, sends that same string to every open socket
 * (the `ws` broadcast idiom), then answers. No permessage-deflate, no bound on a socket's buffer.
 *
 *   node --import tsx bench/broadcast.ts [<frame bytes>]
 *
 * With `<frame bytes>` (the size of the real server's frame, measured in the same run) each frame is
 * padded to that size (a `"pad"` string after the event's fields), so that both servers send as many bytes.
 *
 * When listening it prints `BENCH_READY {"port":…}` on stdout; SIGTERM stops it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

interface StatInput {
  mean: number;
  variance: number;
  min: number;
  max: number;
}
interface ReportInput {
  clientId: string;
  windowStart: string;
  windowEnd: string;
  observations: number;
  cpu?: { utilization?: StatInput; cores?: StatInput[] };
}

/** The `next` frame of one report, in the shape the fan-out subscription selects. */
function broadcastFrame(input: ReportInput, bytes: number): string {
  const stats = [];
  const stat = (metric: string, core: number | null, s: StatInput) => ({
    metric,
    core,
    count: input.observations,
    ...s,
  });
  if (input.cpu?.utilization) stats.push(stat('CPU_UTILIZATION', null, input.cpu.utilization));
  for (const [i, core] of (input.cpu?.cores ?? []).entries()) stats.push(stat('CPU_UTILIZATION', i, core));
  const event = {
    clientId: input.clientId,
    windowStart: new Date(input.windowStart).toISOString(),
    windowEnd: new Date(input.windowEnd).toISOString(),
    observations: input.observations,
    stats,
  };
  const frame = (pad: string) =>
    `{"id":"1","type":"next","payload":{"data":{"metricReported":${JSON.stringify({ ...event, pad })}}}}`;
  return frame('x'.repeat(Math.max(0, bytes - frame('').length)));
}

const ANSWER = '{"data":{"reportMetrics":{"accepted":true}}}';

function main(frameBytes: number): void {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const type = (JSON.parse(String(data)) as { type?: string }).type;
      if (type === 'connection_init') socket.send('{"type":"connection_ack"}');
      else if (type === 'ping') socket.send('{"type":"pong"}');
    });
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let frame: string;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          variables: { input: ReportInput };
        };
        frame = broadcastFrame(body.variables.input, frameBytes);
      } catch {
        res.writeHead(400, { 'content-length': 0 });
        res.end();
        return;
      }
      for (const socket of wss.clients) if (socket.readyState === socket.OPEN) socket.send(frame);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
      res.end(ANSWER);
    });
  });
  // The reporter's keep-alive connection idles while ten thousand subscribers connect.
  server.keepAliveTimeout = 120_000;
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
  );
  server.listen(0, '127.0.0.1', () =>
    process.stdout.write(`BENCH_READY ${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`),
  );
  process.once('SIGTERM', () => {
    for (const socket of wss.clients) socket.terminate();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

main(Number(process.argv[2] ?? 0) || 0);
