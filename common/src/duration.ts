/**
 * The one duration grammar: a sum of one or more terms, each a whole number and a unit, with nothing
 * around or between them — `500ms`, `30s`, `15m`, `1h`, `7d`, `2w`, `1h30m` (InfluxQL's way of writing
 * them). The server (GraphQL's `Duration`, REST's `resample_rate`, its configuration) and the agent's
 * flags both read durations with it; each says itself what it accepts beyond the grammar (the server: a
 * positive duration of at most 64 characters) and how it reports a mistake.
 */

/** Milliseconds per unit. */
export const durationUnits = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

export type DurationUnit = keyof typeof durationUnits;

/** One term; `ms` is tried before `m` and `s`. Sticky: each match must start where the previous ended. */
const TERM = /(\d+)(ms|s|m|h|d|w)/y;

/**
 * `text` in milliseconds, or `undefined` when it is not a duration of the grammar or its value is not a
 * safe integer. Zero (`0s`) is a duration; whether it is a useful one is the caller's business.
 */
export function parseDurationMs(text: string): number | undefined {
  TERM.lastIndex = 0;
  let total = 0;
  for (let match = TERM.exec(text); match; match = TERM.exec(text)) {
    total += Number(match[1]) * durationUnits[match[2] as DurationUnit];
    if (TERM.lastIndex === text.length) return Number.isSafeInteger(total) ? total : undefined;
  }
  return undefined;
}

const largestFirst = (Object.entries(durationUnits) as [DurationUnit, number][]).reverse();

/** Formats milliseconds with the largest unit that divides them exactly (`900000` → `15m`). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of largestFirst) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
