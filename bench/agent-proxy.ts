/** The agent part's counting proxy: what the agent and the server say to each other, in bytes. */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Proxy {
  port: number;
  up: number;
  down: number;
  connections: { request: string; upgrade: boolean }[];
  close(): Promise<void>;
}

/** A TCP pass-through to `127.0.0.1:target` that counts payload bytes each way. */
export function countingProxy(target: number): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const proxy: Proxy = {
    port: 0,
    up: 0,
    down: 0,
    connections: [],
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const connection = { request: '', upgrade: false };
    proxy.connections.push(connection);
    client.on('data', (chunk: Buffer) => {
      if (connection.request === '') {
        const head = chunk.toString('latin1');
        connection.request = head.slice(0, head.indexOf('\r\n'));
        connection.upgrade = /^upgrade:\s*websocket/im.test(head);
      }
      proxy.up += chunk.length;
    });
    upstream.on('data', (chunk: Buffer) => {
      proxy.down += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      proxy.port = (server.address() as { port: number }).port;
      resolve(proxy);
    });
  });
}
