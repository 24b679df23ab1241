/** What the InfluxDB store's tests share: the file's influxd (`startInfluxdForFile`), databases, times. */
import { hasBinary, influxdBinary } from '../../../testing/real-servers.js';
import { influxd } from '../influxd.js';

export { influxd, startInfluxdForFile } from '../influxd.js';

export const available = hasBinary(influxdBinary);
let databases = 0;
/** A new database name per server, so that tests never see each other's points. */
export const nextDatabase = () => `t${process.pid}_${++databases}`;
export const influxEnv = (database: string): Record<string, string> => ({
  STORE: 'influxdb',
  INFLUX_API: 'v1',
  INFLUX_URL: influxd.url,
  INFLUX_DATABASE: database,
});

export const T0 = Date.UTC(2026, 0, 1);
export const iso = (ms: number) => new Date(ms).toISOString();
