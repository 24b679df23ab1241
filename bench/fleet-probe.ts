/**
 * A quick probe (not part of `npm run bench`): REST ingest with N distinct clients, the app beside raw
 * node:http, alternately (raw, app, raw, app), 32 connections. `npx tsx bench/fleet-probe.ts 50 1000`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { originalReport } from '../testing/fixtures.js';
import { ingestBase, WINDOW_MS } from './workload.js';

const SECONDS = Number(process.env.PROBE_SECONDS ?? 8);
const root = process.env.BENCH_DATA_DIR ?? join(process.cwd(), '.bench-data');

function start(args: string[]): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server-process.ts', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /BENCH_READY (\{.*\})/.exec(out);
      if (m) resolve({ port: JSON.parse(m[1] as string).port, stop: () => child.kill('SIGTERM') });
    });
  });
}

async function run(port: number, clients: number): Promise<number> {
  const template = JSON.stringify({
    ...originalReport,
    user_id: 'CLIENT',
    start_timestamp: 1e15 + 1,
    end_timestamp: 1e15 + 3,
  });
  const len = originalReport.end_timestamp - originalReport.start_timestamp;
  const base = ingestBase(Date.now());
  const next = new Array<number>(clients).fill(0);
  let turn = 0;
  const body = () => {
    const c = turn++ % clients;
    const start = base + (next[c] as number) * WINDOW_MS;
    next[c] = (next[c] as number) + 1;
    return template
      .replace('CLIENT', `fleet-${c}`)
      .replace(String(1e15 + 1), String(start))
      .replace(String(1e15 + 3), String(start + len));
  };
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/api/v1/metrics`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: 32,
    duration: SECONDS,
    requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
  });
  if (result.non2xx || result.errors) console.log(`  non2xx ${result.non2xx} errors ${result.errors}`);
  return result['2xx'] / result.duration;
}

for (const clients of process.argv.slice(2).map(Number)) {
  const raw = await start(['raw']);
  const app = await start(['app', mkdtempSync(join(root, 'probe-'))]);
  await run(app.port, clients); // warm-up
  const figures: string[] = [];
  for (let round = 0; round < 2; round += 1) {
    const r = await run(raw.port, clients);
    const a = await run(app.port, clients);
    figures.push(`raw ${r.toFixed(0)}/s app ${a.toFixed(0)}/s ratio ${(a / r).toFixed(2)}`);
  }
  console.log(`${clients} clients: ${figures.join(' | ')}`);
  raw.stop();
  app.stop();
}
