/**
 * The ingest load generator: wrk (one thread, in its own process) with `wrk-load.lua`, which splices each
 * request's body from a template (`FleetBodies.template`) and checks every answer. It replaced autocannon
 * here because autocannon in the bench's process was the ceiling: against the raw `node:http` baseline, on
 * 2 cores, autocannon 6.8k–11.2k req/s vs wrk 14.4k–17.5k req/s, alternating (docs/benchmarks.md).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./wrk-load.lua', import.meta.url));

/** Request `i`'s body as literal parts around holes filled per request (see `bodyFactory`). */
export interface BodyTemplate {
  /** One more than `holes`. */
  parts: string[];
  holes: ('client' | 'start' | 'end')[];
  /** The fleet's client ids; request `i` is client `i % ids.length`'s window `floor(i / ids.length)`. */
  ids: string[];
  base: number;
  window: number;
  /** Window end minus start. */
  length: number;
  /** How times are written: ISO-8601 strings in quotes, or epoch milliseconds. */
  time: 'iso' | 'ms';
}

/** A body per request index, and the same as a template for wrk. */
export type FleetBodies = ((i: number) => string) & { template: BodyTemplate };

export interface WrkRun {
  /** 2xx answers whose body passed the check. */
  ok: number;
  non2xx: number;
  mismatches: number;
  errors: number;
  timeouts: number;
  /** The next request index (requests sent so far, from the first index). */
  next: number;
  /** Seconds. */
  duration: number;
  /** [latency µs, count]. */
  latency: [number, number][];
}

/** Writes a template file for `wrk-load.lua`; returns its path. */
export function writeTemplate(
  dir: string,
  name: string,
  t: BodyTemplate,
  target: { path: string; contentType: string; verify: 'empty' | string },
): string {
  const entries: [string, string][] = [
    ['path', target.path],
    ['contentType', target.contentType],
    ['verify', target.verify],
    ['base', String(t.base)],
    ['window', String(t.window)],
    ['length', String(t.length)],
    ['time', t.time],
    ...t.parts.map((p): [string, string] => ['part', p]),
    ...t.holes.map((h): [string, string] => ['hole', h]),
    ...t.ids.map((id): [string, string] => ['id', id]),
  ];
  const file = join(dir, `${name}.wrk`);
  writeFileSync(
    file,
    Buffer.concat(
      entries.flatMap(([k, v]) => {
        const bytes = Buffer.from(v, 'utf8');
        return [Buffer.from(`${bytes.length} ${k}\n`), bytes, Buffer.from('\n')];
      }),
    ),
  );
  return file;
}

/** One wrk run of `seconds` from request index `first`. */
export function runWrk(
  port: number,
  templateFile: string,
  first: number,
  connections: number,
  seconds: number,
): Promise<WrkRun> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', SCRIPT];
  args.push(`http://127.0.0.1:${port}/`, '--', templateFile, String(first));
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk failed: ${error.message} ${stderr}`));
      const line = stdout.split('\n').find((l) => l.startsWith('WRK_RESULT '));
      if (!line) return reject(new Error(`wrk printed no result: ${stdout.slice(0, 500)} ${stderr}`));
      const r = JSON.parse(line.slice('WRK_RESULT '.length)) as WrkRun & { duration: number };
      resolve({ ...r, duration: r.duration / 1e6 });
    });
  });
}
