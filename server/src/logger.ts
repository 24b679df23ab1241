import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

export type Logger = pino.Logger;

/** `LOG_FORMAT`: `auto` is pretty when stdout is a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * JSON lines on stdout (or `destination`); `LOG_LEVEL` sets the level. Stdout is written synchronously,
 * as Node writes `process.stdout` to a pipe on Linux: pino's asynchronous default can reorder the last
 * lines when the process exits (the flush at exit writes past a line still being written).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { service: 'metrics-collector' } },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** The server's logger on stdout, in the format `LOG_FORMAT` asks for (`isTTY`: whether stdout is a terminal). */
export function createStdoutLogger(
  level: string,
  format: LogFormat,
  isTTY = process.stdout.isTTY === true,
): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && isTTY);
  return createLogger(level, pretty ? prettyDestination({ colorize: isTTY }) : undefined);
}

const load = createRequire(import.meta.url);

/**
 * Human-readable lines: pino-pretty run in this thread, each line written as it is logged. Loaded only
 * for this format (JSON never loads it), and not as a worker transport, whose start would slow every start.
 */
export function prettyDestination(
  options: Pick<PrettyOptions, 'colorize'>,
  out: { write(text: string): unknown } = process.stdout,
): pino.DestinationStream {
  const { prettyFactory } = load('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({
    ...options,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
  });
  return { write: (line) => void out.write(prettify(requestLine(JSON.parse(line)))) };
}

/** A request line reads `GET /api/v1/metrics 200 3.2 ms`, the other fields after it. */
function requestLine(log: Record<string, unknown>): Record<string, unknown> {
  if (log.msg !== 'request') return log;
  const { method, route, path, status, ms, ...rest } = log;
  return { ...rest, msg: `${method} ${route ?? path} ${status} ${ms} ms` };
}
