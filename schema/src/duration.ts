import { parseDurationMs } from '@metrics-collector/common/duration';
import { AppError } from './errors.js';

/**
 * Reads a duration of the API or the configuration — `500ms`, `30s`, `15m`, `1h`, `7d`, `2w` or a sum of
 * terms (`1h30m`), the grammar of `@metrics-collector/common/duration` — into milliseconds. It must be
 * positive and at most 64 characters long. Throws `INVALID_DURATION` naming `field` otherwise.
 */
export function parseDuration(text: unknown, field: string): number {
  if (typeof text !== 'string' || text.length > 64) throw invalid(field, text);
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0) throw invalid(field, text);
  return ms;
}

function invalid(field: string, text: unknown): AppError {
  const shown = typeof text === 'string' ? JSON.stringify(text.slice(0, 64)) : typeof text;
  return new AppError(
    'INVALID_DURATION',
    `${field}: ${shown} is not a duration; write a positive whole number and a unit, such as 500ms, 30s, 15m, 1h or 7d`,
    { field },
  );
}
