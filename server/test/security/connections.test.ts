import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers.js';
import { waitFor } from '../ws-helpers.js';
import { healthOnNewConnection, probeHealth, type ServerProcess, startServerProcess } from './harness.js';

/**
 * Connections that hold the server without asking anything: a cap below the file limit, the longest-idle
 * connection closed to make room, and timeouts for silent and slow connections.
 */
const holder = fileURLToPath(new URL('./hold-connections.mjs', import.meta.url));

interface Holder {
  child: ChildProcess;
  lines: Record<string, number | string>[];
}

/** A process that opens `count` connections to the server which never send a byte. */
function holdConnections(url: string, count: number): Holder {
  const { hostname, port } = new URL(url);
  const child = spawn(process.execPath, [holder, hostname, port, String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Holder['lines'] = [];
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) if (part) lines.push(JSON.parse(part));
  });
  return { child, lines };
}

describe('20,000 idle connections against MAX_CONNECTIONS=2000 (a separate server process)', () => {
  let server: ServerProcess;
  const holders: Holder[] = [];
  beforeAll(async () => {
    server = await startServerProcess({ MAX_CONNECTIONS: '2000', LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    for (const h of holders) h.child.kill('SIGKILL');
    await server.stop();
  });

  it('keeps answering /health on new connections and never holds more than the cap', async () => {
    const idleFiles = server.openFiles();
    const probe = probeHealth(server.url);
    let mostFiles = idleFiles;
    holders.push(holdConnections(server.url, 10_000), holdConnections(server.url, 10_000));
    await waitFor(
      () => {
        mostFiles = Math.max(mostFiles, server.openFiles());
        return holders.every((h) => h.lines.some((l) => l.event === 'settled'));
      },
      'the holders to open their connections',
      120_000,
    );
    // Held: the connections the server left open stay open while /health is asked again.
    for (let i = 0; i < 5; i += 1) {
      expect(await healthOnNewConnection(server.url)).toBe(200);
      mostFiles = Math.max(mostFiles, server.openFiles());
    }
    // The server closed what it made room with; its FINs reach the holders in their own time.
    const openNow = () =>
      holders.reduce((total, h) => total + Number(h.lines.findLast((l) => 'open' in l)?.open ?? 0), 0);
    await waitFor(() => openNow() <= 2_000 + 50, "the server's closes to reach the holders", 60_000);
    const statuses = await probe.stop();
    for (const h of holders) h.child.kill('SIGTERM');
    await waitFor(
      () => holders.every((h) => h.lines.some((l) => l.event === 'final')),
      'the holders to stop',
      60_000,
    );
    const final = holders.map((h) => h.lines.find((l) => l.event === 'final') as Record<string, number>);
    const sum = (key: string) => final.reduce((total, line) => total + (line[key] ?? 0), 0);
    expect(sum('opened')).toBe(20_000);
    // Everything past the cap was closed by the server to make room; at most the cap was still held.
    expect(sum('open')).toBeLessThanOrEqual(2_000 + 50);
    expect(sum('closedByServer')).toBeGreaterThanOrEqual(20_000 - 2_000 - 50);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(mostFiles - idleFiles).toBeLessThanOrEqual(2_000 + 50);
    // The server says what it did, and not once per connection.
    const warnings = server.run.lines.filter((l) => String(l.msg).startsWith('connection limit reached'));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.length).toBeLessThan(50);
  }, 180_000);
});

describe('silent and slow connections', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ timeouts: { firstRequest: 500, headers: 500, request: 1_000 } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const { hostname, port } = new URL(srv.url);
      // Flowing, so that the server's FIN is read and 'close' follows (a paused socket may never see it).
      const socket = connect(Number(port), hostname, () => resolve(socket.resume()));
      socket.once('error', reject);
    });
  const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

  it('closes a connection that sends nothing after the first-request timeout', async () => {
    const socket = await open();
    await closed(socket);
    expect(srv.app.connections.open).toBeLessThanOrEqual(1);
  });

  it('answers 408 to a body that does not arrive within the request timeout, and closes', async () => {
    const socket = await open();
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.write(
      'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"qu',
    );
    await closed(socket);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection that sends its headers a byte at a time past the headers timeout', async () => {
    const socket = await open();
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    const header = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
    socket.write(header);
    const drip = setInterval(() => socket.writable && socket.write('a'), 100);
    await closed(socket);
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('keeps a connection that asked something through a long answer (no first-request timeout then)', async () => {
    // A keep-alive connection idles between requests up to keepAliveTimeout, not the first-request one.
    const socket = await open();
    let answers = '';
    socket.on('data', (chunk) => {
      answers += chunk;
    });
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitFor(() => answers.includes('"ok"'), 'the first answer');
    await new Promise((r) => setTimeout(r, 800));
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitFor(() => answers.split('"ok"').length === 3, 'the second answer');
    socket.destroy();
  });
});
