import { SdkError } from '@metrics-collector/sdk';
import { pino } from 'pino';

/** The agent's logger: pino's call shape, so that `npm start` can hand it the server's. */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * JSON lines on stdout, written synchronously: with pino's default (asynchronous) destination, the
 * flush at `process.exit` can write the last line before one still being written, and the final
 * `agent stopped` line, with its counts, then is not the last.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'metrics-agent' } }, pino.destination({ dest: 1, sync: true }));
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * What a log line needs of a failure to reach the server: the message, the code (or the kind, such as
 * `network`) and the innermost cause (`connect ECONNREFUSED 10.0.0.5:8888` behind `fetch failed`). An
 * `SdkError` carries the whole request (query and variables), which would fill the log.
 */
export function errorSummary(error: unknown): { message: string; code?: string | undefined; cause?: string } {
  const message = error instanceof Error ? error.message : String(error);
  let cause: unknown = error instanceof Error ? error.cause : undefined;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  const because = cause instanceof Error && !message.includes(cause.message) ? { cause: cause.message } : {};
  if (error instanceof SdkError) return { message, code: error.code ?? error.kind, ...because };
  return { message, ...because };
}
