import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The intervals the server's commands set, kept in the spool folder so that they survive a restart. */
export interface Intervals {
  samplingIntervalMs?: number;
  reportIntervalMs?: number;
}

const FILE = 'intervals.json';

/** The intervals kept by an earlier run, or none (no file, or one that cannot be read). */
export function readIntervals(dir: string): Intervals {
  try {
    const value = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as Record<string, unknown>;
    const kept: Intervals = {};
    if (Number.isSafeInteger(value.samplingIntervalMs))
      kept.samplingIntervalMs = value.samplingIntervalMs as number;
    if (Number.isSafeInteger(value.reportIntervalMs))
      kept.reportIntervalMs = value.reportIntervalMs as number;
    return kept;
  } catch {
    return {};
  }
}

/** Keeps `intervals` (replacing what was kept); none removes the file. Written to a new file, then renamed. */
export function writeIntervals(dir: string, intervals: Intervals): void {
  const path = join(dir, FILE);
  if (intervals.samplingIntervalMs === undefined && intervals.reportIntervalMs === undefined) {
    rmSync(path, { force: true });
    return;
  }
  const next = `${path}.next`;
  const fd = openSync(next, 'w');
  try {
    writeSync(fd, JSON.stringify(intervals));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(next, path);
}
