// Appends windows to a spool forever, printing each id once `append` returned (it fsynced): the kill -9 test
// kills this process at a random moment and checks that every printed id is still in the spool.
import { Spool } from '../src/spool.js';

const dir = process.argv[2] as string;
const spool = new Spool<{ windowStart: number; payload: string }>({ dir, segmentBytes: 4096 });
for (let i = 0; ; i += 1) {
  const id = spool.append({ windowStart: i * 10_000, payload: 'x'.repeat(100) });
  process.stdout.write(`${id}\n`);
  if (i % 3 === 0) spool.ack(id);
}
