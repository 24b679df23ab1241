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

/** JSON lines on stdout. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'metrics-agent' } });
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
