// Opens `count` TCP connections to host:port that never send a byte, as fast as the server accepts them,
// and keeps whichever the server leaves open. Prints one JSON line when every connection was made (or
// failed), one with the connections open whenever that number changed, and another with the final counts
// on SIGTERM. Used by connections.test.ts.
import { connect } from 'node:net';

const [host, port, count] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const sockets = new Set();
let opened = 0;
let failed = 0;
let closedByServer = 0;
let settled = 0;
const report = (event) =>
  process.stdout.write(`${JSON.stringify({ event, opened, failed, closedByServer, open: sockets.size })}\n`);

let next = 0;
const openOne = () => {
  if (next >= count) return;
  next += 1;
  const socket = connect(port, host);
  let done = false;
  const settle = () => {
    if (done) return;
    done = true;
    settled += 1;
    if (settled === count) report('settled');
    openOne();
  };
  socket.once('connect', () => {
    opened += 1;
    sockets.add(socket);
    settle();
  });
  socket.once('error', () => {
    failed += 1;
    settle();
  });
  socket.once('close', () => {
    if (sockets.delete(socket)) closedByServer += 1;
  });
};
// 200 connection attempts in flight at a time.
for (let i = 0; i < 200; i += 1) openOne();
// Alive until SIGTERM, even once the server has closed every connection. Says how many are open whenever
// that changed: the server's closes reach this process some time after it made them.
let lastOpen = -1;
const alive = setInterval(() => {
  if (sockets.size === lastOpen) return;
  lastOpen = sockets.size;
  report('open');
}, 200);

process.once('SIGTERM', () => {
  const line = `${JSON.stringify({ event: 'final', opened, failed, closedByServer, open: sockets.size })}\n`;
  for (const socket of sockets) socket.destroy();
  clearInterval(alive);
  // Writes to a pipe are asynchronous: exit once the line is out.
  process.stdout.write(line, () => process.exit(0));
});
