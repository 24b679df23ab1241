import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32, Spool, SpoolLockedError } from '../src/spool.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-spool-'));
  dirs.push(dir);
  return dir;
};
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort();

describe('Spool', () => {
  it('keeps appended entries until acknowledged, across reopening', () => {
    const dir = tempDir();
    const spool = new Spool<{ n: number }>({ dir });
    const ids = [1, 2, 3, 4].map((n) => spool.append({ n }));
    spool.ack(ids[1] as number);
    expect(spool.pending().map((e) => e.value.n)).toEqual([1, 3, 4]);
    spool.close();
    const reopened = new Spool<{ n: number }>({ dir });
    expect(reopened.pending().map((e) => [e.id, e.value.n])).toEqual([
      [ids[0], 1],
      [ids[2], 3],
      [ids[3], 4],
    ]);
    expect(reopened.torn).toBe(0);
    // New ids continue after the old ones.
    expect(reopened.append({ n: 5 })).toBeGreaterThan(ids[3] as number);
  });

  it('detects a torn last record on open, skips it, and goes on appending', () => {
    const dir = tempDir();
    const spool = new Spool<{ n: number }>({ dir });
    for (const n of [1, 2, 3]) spool.append({ n });
    spool.close();
    const [file] = segments(dir);
    const path = join(dir, file as string);
    truncateSync(path, statSync(path).size - 5); // the last record cut short, as by a crash mid-write
    const reopened = new Spool<{ n: number }>({ dir });
    expect(reopened.torn).toBe(1);
    expect(reopened.pending().map((e) => e.value.n)).toEqual([1, 2]);
    reopened.append({ n: 4 });
    reopened.close();
    expect(new Spool<{ n: number }>({ dir }).pending().map((e) => e.value.n)).toEqual([1, 2, 4]);
  });

  it('skips a damaged record (bad checksum) and whatever follows it in that segment', () => {
    const dir = tempDir();
    const spool = new Spool<{ n: number }>({ dir });
    spool.append({ n: 1 });
    spool.close();
    const path = join(dir, segments(dir)[0] as string);
    const body = Buffer.from([1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d]);
    const header = Buffer.alloc(8);
    header.writeUInt32LE(body.length, 0);
    header.writeUInt32LE((crc32(body) + 1) >>> 0, 4);
    appendFileSync(path, Buffer.concat([header, body]));
    const reopened = new Spool<{ n: number }>({ dir });
    expect(reopened.torn).toBe(1);
    expect(reopened.pending().map((e) => e.value.n)).toEqual([1]);
  });

  it('rolls segments over and deletes the old ones once their entries are acknowledged', () => {
    const dir = tempDir();
    const spool = new Spool<{ n: number; pad: string }>({ dir, segmentBytes: 300 });
    const ids = Array.from({ length: 30 }, (_, n) => spool.append({ n, pad: 'p'.repeat(50) }));
    const before = segments(dir).length;
    expect(before).toBeGreaterThan(5);
    for (const id of ids.slice(0, 29)) spool.ack(id);
    expect(spool.pending().map((e) => e.value.n)).toEqual([29]);
    // Left: the segment of entry 29 and the ones after it, which hold the acknowledgements (17 bytes each).
    expect(segments(dir).length).toBeLessThanOrEqual(3);
    expect(spool.fileBytes).toBeLessThan(3 * 300 + 100);
    spool.close();
    expect(new Spool<{ n: number }>({ dir }).pending().map((e) => e.value.n)).toEqual([29]);
  });

  it('drops the oldest entries past maxBytes or maxAgeMs, counting them', () => {
    let now = 1_000_000;
    const dir = tempDir();
    const spool = new Spool<{ n: number }>({ dir, maxBytes: 200, maxAgeMs: 60_000, now: () => now });
    for (let n = 0; n < 10; n += 1) spool.append({ n });
    // Each record is 8 + 17 + 8 bytes ("{"n":0}"): 33; 200 bytes hold 6.
    expect(spool.pending().map((e) => e.value.n)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(spool.dropped).toBe(4);
    now += 30_000;
    spool.append({ n: 10 });
    now += 40_000; // the first six are 70 s old now, the last 40 s
    expect(spool.pending().map((e) => e.value.n)).toEqual([10]);
    expect(spool.dropped).toBe(4 + 1 + 5);
  });

  it('loses nothing that was appended when the process is killed with SIGKILL at a random moment', async () => {
    const dir = tempDir();
    const writer = fileURLToPath(new URL('./spool-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const printed: number[] = [];
    let buffered = '';
    await new Promise<void>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) printed.push(Number(line));
        // Kill it mid-stream, after a few hundred appends and a few segment rollovers.
        if (printed.length >= 300 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const spool = new Spool<{ windowStart: number }>({ dir, segmentBytes: 4096 });
    const kept = new Set(spool.pending().map((e) => e.id));
    // Every id the writer printed was appended (fsynced) before it printed; those it acknowledged (every
    // third) may come back, as an acknowledgement is not fsynced: that only means sending a window twice.
    const lost = printed.filter((id, i) => i % 3 !== 0 && !kept.has(id));
    expect(lost).toEqual([]);
    expect(spool.torn).toBeLessThanOrEqual(1);
  });
});

describe('the spool folder lock', () => {
  it('refuses a folder another live process holds, takes over a stale lock, and releases it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-spool-lock-'));
    try {
      const holder = spawn('sleep', ['30']);
      writeFileSync(join(dir, 'lock'), String(holder.pid));
      expect(() => new Spool({ dir })).toThrow(SpoolLockedError);
      expect(() => new Spool({ dir })).toThrow(`in use by process ${holder.pid}`);
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      // The holder is gone (killed, as by kill -9): its lock is stale.
      const spool = new Spool({ dir });
      expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(String(process.pid));
      spool.close();
      expect(existsSync(join(dir, 'lock'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
