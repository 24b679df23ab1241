import {
  catalogue,
  type Metric,
  type MetricSpec,
  metricNames,
  type ReportGroup,
  type ReportGroupFields,
  reportGroups,
  type SeriesInput,
} from '@metrics-collector/common/catalogue';
import type { WindowStats } from './aggregator.js';

type Stat = Pick<WindowStats, 'mean' | 'variance' | 'min' | 'max'>;

/** Who reports: the host's id and what the server shows about it. */
export interface Identity {
  clientId: string;
  hostname?: string;
  osType?: string;
  osVersion?: string;
}

/**
 * One closed window as `reportMetrics` input, as the spool keeps it (JSON: times are epoch ms, which the
 * API's `DateTime` accepts). Its groups and their fields are the catalogue's input paths.
 */
export type ReportWindow = Identity & {
  windowStart: number;
  windowEnd: number;
  observations: number;
} & { [G in ReportGroup]?: ReportGroupFields<G, Stat> };

/**
 * A statistic to 9 significant digits, what both stores guarantee to keep (docs/storage.md): the
 * shortest JSON of 0.023996044405374433 is 20 characters, of 0.0239960444 12, and reports shrink by a
 * fifth. Rounding to a fixed number of significant digits never reverses an order, so min ≤ mean ≤ max
 * still holds.
 */
export const significant = (value: number): number => Number(value.toPrecision(9));

const stat = (s: WindowStats): Stat => ({
  mean: significant(s.mean),
  variance: significant(s.variance),
  min: significant(s.min),
  max: significant(s.max),
});

/** A reported series of the catalogue: where its samples are (the input path) and what its field holds. */
interface ReportedSeries {
  input: SeriesInput;
  perCore: boolean;
  /** The field's name in its group: the path after the group. */
  field: string;
}

const specs: Readonly<Record<Metric, MetricSpec>> = catalogue;

/** Each report group's series, in catalogue order; groups in `reportGroups` order. */
const reportedSeries = (Object.keys(reportGroups) as ReportGroup[]).map((group) => ({
  group,
  series: metricNames.flatMap((metric): ReportedSeries[] => {
    const { input, perCore } = specs[metric];
    if (!input?.path.startsWith(`${group}.`)) return [];
    return [{ input, perCore, field: input.path.slice(group.length + 1) }];
  }),
}));

/**
 * A series' field from the window's samples, which collectors name by the series' input path: a `Stat`
 * of the samples at `path`; for a per-core series the list of `path.0`, `path.1`, ... up to the first
 * core missing (empty if none); for a single value (`value`) the largest sample, as it is.
 */
function fieldOf(series: ReportedSeries, closed: ReadonlyMap<string, WindowStats>): unknown {
  const { path } = series.input;
  if (series.perCore) {
    const cores: Stat[] = [];
    for (let n = 0; closed.has(`${path}.${n}`); n += 1)
      cores.push(stat(closed.get(`${path}.${n}`) as WindowStats));
    return cores;
  }
  const window = closed.get(path);
  if (!window) return undefined;
  return series.input.value ? window.max : stat(window);
}

/**
 * One group of the report, or `undefined` when none of its series was sampled (an empty per-core list
 * does not count) or a field the group requires was not.
 */
function groupOf(
  series: readonly ReportedSeries[],
  closed: ReadonlyMap<string, WindowStats>,
): Record<string, unknown> | undefined {
  const fields: Record<string, unknown> = {};
  let sampled = false;
  for (const s of series) {
    const value = fieldOf(s, closed);
    if (value === undefined) {
      if (s.input.required) return undefined;
      continue;
    }
    fields[s.field] = value;
    if (!Array.isArray(value) || value.length > 0) sampled = true;
  }
  return sampled ? fields : undefined;
}

/**
 * Builds the report of a closed window from the catalogue: each series with an input path takes the
 * samples a collector named by that path (`memory.usedBytes`, per core `cpu.cores.<n>`). `observations` is
 * the most samples any series got (a collector that failed for some samples has fewer); `null` when
 * nothing was sampled. Series the catalogue does not name (per-interface network rates) stay on the host:
 * the server stores host totals.
 */
export function toReport(
  identity: Identity,
  window: { start: number; end: number },
  closed: ReadonlyMap<string, WindowStats>,
): ReportWindow | null {
  if (closed.size === 0) return null;
  const report: ReportWindow = {
    ...identity,
    windowStart: window.start,
    windowEnd: window.end,
    observations: Math.max(...[...closed.values()].map((s) => s.count)),
  };
  const groups: Record<string, unknown> = {};
  for (const { group, series } of reportedSeries) {
    const fields = groupOf(series, closed);
    if (fields) groups[group] = fields;
  }
  return Object.assign(report, groups);
}
