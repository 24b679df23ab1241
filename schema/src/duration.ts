import { AppError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;
const TERM = /(\d+)(ms|s|m|h|d|w)/gy;

/**
 * Parses a duration such as `500ms`, `30s`, `15m`, `1h`, `7d`, `2w` or a sum of terms (`1h30m`), as
 * InfluxQL writes them, into milliseconds. Throws `INVALID_DURATION` naming `field` otherwise.
 */
export function parseDuration(text: unknown, field: string): number {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) {
    throw invalid(field, text);
  }
  TERM.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = TERM.exec(text); match; match = TERM.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2] as Unit];
    consumed = TERM.lastIndex;
  }
  if (consumed !== text.length || !Number.isSafeInteger(total) || total <= 0) {
    throw invalid(field, text);
  }
  return total;
}

/** Formats milliseconds with the largest unit that divides them exactly (`900000` -> `15m`). */
export function formatDuration(ms: number): string {
  const units = Object.entries(UNIT_MS).reverse() as [Unit, number][];
  for (const [unit, size] of units) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function invalid(field: string, text: unknown): AppError {
  const shown = typeof text === 'string' ? JSON.stringify(text.slice(0, 64)) : typeof text;
  return new AppError(
    'INVALID_DURATION',
    `${field}: ${shown} is not a duration; write a positive whole number and a unit, such as 500ms, 30s, 15m, 1h or 7d`,
    { field },
  );
}
