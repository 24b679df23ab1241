import { connect, createServer, type Server } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { reportInput } from '../../testing/fixtures.js';
import { startTestServer, type TestServer } from './helpers.js';

/** One WebSocket frame as the server sent it: whether it was compressed (RSV1) and its opcode. */
interface Frame {
  compressed: boolean;
  opcode: number;
  length: number;
}

/** A TCP pass-through that parses the frames the server sends after its 101 answer. */
async function frameTap(
  port: number,
): Promise<{ port: number; frames: Frame[]; upgrade: () => string; close(): void }> {
  const frames: Frame[] = [];
  let head = '';
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  const proxy: Server = createServer((client) => {
    const server = connect(port, '127.0.0.1');
    client.pipe(server);
    server.on('data', (chunk: Buffer) => {
      client.write(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = buffer.subarray(0, end).toString('latin1');
        buffer = buffer.subarray(end + 4);
        upgraded = true;
      }
      while (buffer.length >= 2) {
        let length = (buffer[1] as number) & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) return;
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) return;
        frames.push({
          compressed: ((buffer[0] as number) & 0x40) !== 0,
          opcode: (buffer[0] as number) & 0x0f,
          length,
        });
        buffer = buffer.subarray(offset + length);
      }
    });
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    frames,
    upgrade: () => head,
    close: () => proxy.close(),
  };
}

/** A graphql-transport-ws client speaking the protocol by hand over `ws`, which offers permessage-deflate. */
async function open(port: number) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
  const messages: any[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const until = async (match: (m: any) => boolean) => {
    for (let i = 0; !messages.some(match); i += 1) {
      if (i === 300) throw new Error(`no such message in ${JSON.stringify(messages)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return messages.find(match);
  };
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await until((m) => m.type === 'connection_ack');
  return { socket, messages, until };
}

const REPORT = 'mutation ($input: ReportMetricsInput!) { reportMetrics(input: $input) { points } }';
const REPORTED =
  'subscription { metricReported { clientId windowStart stats { metric core mean variance min max } } }';

describe('permessage-deflate on the graphql-ws socket', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.stop());

  it('is accepted with small windows; the server compresses answers to mutations, not events or acks', async () => {
    const tap = await frameTap(Number(new URL(srv.url).port));
    const { socket, messages, until } = await open(tap.port);
    try {
      expect(tap.upgrade()).toMatch(
        /^Sec-WebSocket-Extensions: permessage-deflate;.*client_max_window_bits=11/im,
      );
      expect(tap.upgrade()).toMatch(/server_max_window_bits=9/i);
      socket.send(JSON.stringify({ id: 's', type: 'subscribe', payload: { query: REPORTED } }));
      await new Promise((r) => setTimeout(r, 50));
      // A report over the socket, answered with next and complete.
      const input = reportInput({ clientId: 'deflate-host' });
      socket.send(
        JSON.stringify({ id: 'r', type: 'subscribe', payload: { query: REPORT, variables: { input } } }),
      );
      const answer = await until((m) => m.id === 'r' && m.type === 'next');
      expect(answer.payload.data.reportMetrics.points).toBeGreaterThan(0);
      await until((m) => m.id === 'r' && m.type === 'complete');
      const event = await until((m) => m.id === 's' && m.type === 'next');
      expect(event.payload.data.metricReported.clientId).toBe('deflate-host');
      await new Promise((r) => setTimeout(r, 50));
      const text = tap.frames.filter((f) => f.opcode === 1);
      // connection_ack, the event, the report's next and complete, in some order of the last three.
      expect(text).toHaveLength(4);
      expect(text[0]).toMatchObject({ compressed: false });
      expect(text.filter((f) => f.compressed)).toHaveLength(2);
      const big = text.filter((f) => !f.compressed).at(-1) as Frame;
      expect(big.length).toBeGreaterThanOrEqual(512);
      expect(messages.filter((m) => m.type === 'next')).toHaveLength(2);
    } finally {
      socket.close();
      tap.close();
    }
  });

  it('applies the 1 MiB message limit to the inflated message: a compressed bomb closes the socket with 1009', async () => {
    const socket = new WebSocket(`${srv.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    // 4 MiB of spaces deflate to about 4 KiB.
    const bomb = JSON.stringify({ type: 'connection_init', payload: { pad: ' '.repeat(4 * 1024 * 1024) } });
    expect(deflateRawSync(bomb).length).toBeLessThan(16 * 1024);
    socket.send(bomb, { compress: true });
    expect(await closed).toBe(1009);
  });
});
