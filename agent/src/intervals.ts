import {
  inIntervalRange,
  reportIntervalRange,
  samplingIntervalRange,
} from '@metrics-collector/common/intervals';

/**
 * Checks an interval pair; returns why it is not acceptable, or `null`. Each interval must be within the
 * bounds the server's commands allow too (`@metrics-collector/common/intervals`), and the sampling
 * interval at most the report interval.
 */
export function intervalProblem(samplingMs: number, reportMs: number): string | null {
  const sampling = samplingIntervalRange;
  const report = reportIntervalRange;
  if (!inIntervalRange(samplingMs, sampling))
    return `sampling interval ${samplingMs} ms is outside ${sampling.min}..${sampling.max} ms`;
  if (!inIntervalRange(reportMs, report))
    return `report interval ${reportMs} ms is outside ${report.min}..${report.max} ms`;
  if (samplingMs > reportMs)
    return `sampling interval ${samplingMs} ms is longer than the report interval ${reportMs} ms`;
  return null;
}
