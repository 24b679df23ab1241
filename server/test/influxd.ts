/**
 * One influxd per test file: a file calls `startInfluxdForFile()` once, at its top, and `influxd` is that
 * server while the file's tests run. Vitest loads modules afresh for each test file, so no two files share
 * one (a file that stops or pauses it affects only itself).
 */
import { afterAll, beforeAll } from 'vitest';
import { hasBinary, influxdBinary, type RealServer, startInfluxd } from '../../testing/real-servers.js';
import { standIn } from './stand-in.js';

let running: RealServer | undefined;

/** The influxd started for this file by `startInfluxdForFile()`. */
export const influxd: RealServer = standIn(() => running, 'influxd (startInfluxdForFile())');

/** Starts influxd (where it is installed) before the file's tests and stops it after them. */
export function startInfluxdForFile(): void {
  beforeAll(async () => {
    if (hasBinary(influxdBinary)) running = await startInfluxd();
  });
  afterAll(async () => {
    await running?.stop();
  });
}
