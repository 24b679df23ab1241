/**
 * A replica following the fleet (`BENCH_ONLY=state`): with `REDIS_URL`, every replica receives every
 * stored report's `metricReported` event (its status tracker follows them, whether or not anyone
 * subscribed), so each replica pays for the whole fleet's report rate. This measures that price: events
 * published on a real Redis at a fixed rate, as another replica publishes them (the payload one stored
 * report produced, for 1,000 clients taking turns, each window newer), received by an idle replica
 * (`dist/main.js`, its own process) beside a bare ioredis subscriber that only `JSON.parse`s each message
 * (the baseline), both subscribed to the same events in the same run. CPU from `/proc/<pid>/stat`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ensureBuilt } from '../scripts/build.mjs';
import { REPORT_MUTATION, reportInput } from '../testing/fixtures.js';
import { startLogProcess } from '../testing/log-process.js';
import { hasBinary, redisBinary, startRedis } from '../testing/real-servers.js';
import { cpuSeconds } from './proc.js';
import { fixed, table, thousands } from './table.js';

export interface FollowFigures {
  rate: number;
  events: number;
  payloadBytes: number;
  points: number;
  /** CPU µs per event: [bare subscriber, replica]. */
  cpuUs: [number, number];
}

export const followAvailable = (): boolean => hasBinary(redisBinary);

const root = fileURLToPath(new URL('..', import.meta.url));
const CHANNEL = 'metricReported';
const BARE = `const { Redis } = require('ioredis');
const sub = new Redis(process.env.REDIS_URL);
let n = 0;
sub.subscribe(${JSON.stringify(CHANNEL)}).then(() => console.log('SUBSCRIBED'));
sub.on('message', (_c, m) => { n += JSON.parse(m).points.length > 0 ? 1 : 0; });`;

/** Resolves once the processes have used under 3 ms of CPU in 300 ms (at most 20 s). */
async function settled(pids: number[]): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    const before = pids.map(cpuSeconds);
    await new Promise((r) => setTimeout(r, 300));
    if (pids.every((pid, i) => cpuSeconds(pid) - (before[i] as number) < 0.003)) return;
  }
}

export async function followBench(seconds: number, rate: number, dataRoot: string): Promise<FollowFigures> {
  await ensureBuilt();
  const redis = await startRedis();
  const dataDir = mkdtempSync(join(dataRoot, 'follow-'));
  const replica = startLogProcess(
    join(root, 'dist/main.js'),
    [],
    {
      REDIS_URL: redis.url,
      ALLOW_SINGLE_PROCESS_STATE: 'true',
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'info',
    },
    { tsx: false },
  );
  let bare: ChildProcess | undefined;
  const publisher = new Redis(redis.url);
  const capture = new Redis(redis.url);
  try {
    const url = (await replica.waitFor((l) => l.msg === 'listening', 'listening')).url as string;
    // The payload a stored report publishes, captured from the replica itself.
    await capture.subscribe(CHANNEL);
    const captured = new Promise<string>((resolve) => capture.once('message', (_c, m: string) => resolve(m)));
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: REPORT_MUTATION,
        variables: { input: reportInput({ clientId: 'probe' }) },
      }),
    });
    if (!answer.ok) throw new Error(`the probe report got ${answer.status}`);
    const payload = await captured;
    capture.disconnect();
    const template = JSON.parse(payload) as { windowStart: number; windowEnd: number; points: unknown[] };
    const span = template.windowEnd - template.windowStart;
    bare = spawn(process.execPath, ['-e', BARE], {
      cwd: root,
      env: { ...process.env, REDIS_URL: redis.url },
    });
    await new Promise<void>((resolve, reject) => {
      bare?.stdout?.once('data', () => resolve());
      bare?.once('exit', (code) => reject(new Error(`the bare subscriber exited (${code})`)));
    });
    const pids = [bare.pid as number, replica.child.pid as number];
    await settled(pids);
    const before = pids.map(cpuSeconds);
    const events = Math.round(seconds * rate);
    const batch = Math.max(1, Math.round(rate / 100));
    const started = performance.now();
    let sent = 0;
    let window = template.windowStart + 3_600_000;
    while (sent < events) {
      const pipeline = publisher.pipeline();
      for (let i = 0; i < batch && sent < events; i++, sent++) {
        const client = `fleet-${sent % 1_000}`;
        if (sent % 1_000 === 0) window += span;
        pipeline.publish(
          CHANNEL,
          payload
            .replaceAll('"probe"', JSON.stringify(client))
            .replaceAll(String(template.windowStart), String(window))
            .replaceAll(String(template.windowEnd), String(window + span)),
        );
      }
      await pipeline.exec();
      const due = started + (sent / rate) * 1_000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await settled(pids);
    const used = pids.map((pid, i) => ((cpuSeconds(pid) - (before[i] as number)) * 1e6) / events);
    return {
      rate,
      events,
      payloadBytes: Buffer.byteLength(payload),
      points: template.points.length,
      cpuUs: used as [number, number],
    };
  } finally {
    bare?.kill();
    publisher.disconnect();
    capture.disconnect();
    replica.child.kill('SIGTERM');
    await replica.exited;
    rmSync(dataDir, { recursive: true, force: true });
    await redis.stop();
  }
}

export function printFollow(f: FollowFigures): void {
  console.log(
    `\n## A replica following the fleet through Redis (${thousands(f.events)} metricReported events at ${thousands(f.rate)}/s, ${f.points} points, ${thousands(f.payloadBytes)} bytes each)\n`,
  );
  const perCore = (us: number) => thousands(1e6 / us);
  console.log(
    table(
      ['receiver', 'CPU µs per event', 'vs bare', 'events/s per core'],
      [
        [
          'bare ioredis subscriber, JSON.parse only (baseline)',
          fixed(f.cpuUs[0], 1),
          '1.00',
          perCore(f.cpuUs[0]),
        ],
        [
          'idle replica (dist/main.js, REDIS_URL)',
          fixed(f.cpuUs[1], 1),
          fixed(f.cpuUs[1] / f.cpuUs[0], 2),
          perCore(f.cpuUs[1]),
        ],
      ],
      [false, true, true, true],
    ),
  );
}
