import { pino } from 'pino';

export type Logger = pino.Logger;

/** JSON lines on stdout; `LOG_LEVEL` sets the level. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'metrics-collector' } }, destination);
}
