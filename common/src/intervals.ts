/**
 * The agent's two intervals, ms, inclusive: what `metrics-agent` accepts from its flags and from the
 * server's commands, and what the server accepts in `sendAgentCommand` (stated in the API's
 * `AgentCommandInput.intervalMs`). Whether a sampling interval fits the report interval (sampling ≤
 * report) is the agent's business: it knows both, and answers a command FAILED when they do not fit.
 */
export const samplingIntervalRange = { min: 50, max: 3_600_000 } as const;
export const reportIntervalRange = { min: 1_000, max: 3_600_000 } as const;

/** The same bounds by agent command type, as the server checks a command's `intervalMs`. */
export const commandIntervalRanges = {
  SET_SAMPLING_INTERVAL: samplingIntervalRange,
  SET_REPORT_INTERVAL: reportIntervalRange,
} as const satisfies Record<string, { readonly min: number; readonly max: number }>;

/** Whether `ms` is a whole number of milliseconds within `range`. */
export function inIntervalRange(ms: number, range: { readonly min: number; readonly max: number }): boolean {
  return Number.isSafeInteger(ms) && ms >= range.min && ms <= range.max;
}
