import { describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { graphql, rawRequest } from '../helpers.js';
import { getOriginal, postOriginal, range, server } from './setup.js';

describe('REST v1, as the original service answered', () => {
  it.each([
    ['cpuLoadAvg', 0.2148631642976225],
    ['cpuLoadVar', 0.005718669350831782],
    ['cpuCoreLoadAvgMax', 0.24848360030511063],
    ['cpuCoreLoadAvgMin', 0.18310711960197185],
    ['cpuCoreLoadVarMax', 0.0033936742208834853],
    ['cpuCoreLoadMinMin', 4.7853845483180853e-4],
  ])('%s gives one 15 m bucket holding the one report', async (metric, value) => {
    const { url } = await server();
    const post = await postOriginal(url);
    expect(post.status).toBe(200);
    expect(post.text).toBe('');
    const get = await getOriginal(url, metric, originalReport.user_id, range);
    expect(get.status).toBe(200);
    expect(get.json).toEqual({ entries: [{ date: '2018-07-12T13:30:00.000Z', value }] });
  });

  it('filters by user (the original averaged all users) and answers an empty range with no entries', async () => {
    const { url } = await server();
    await postOriginal(url);
    await postOriginal(url, {
      ...originalReport,
      user_id: 'someone-else',
      metrics: [{ ...originalReport.metrics[0], avg_utilization: 0.9 }],
    });
    const mine = await getOriginal(url, 'cpuLoadAvg', originalReport.user_id, range);
    expect(mine.json).toEqual({ entries: [{ date: '2018-07-12T13:30:00.000Z', value: 0.2148631642976225 }] });
    const theirs = await getOriginal(url, 'cpuLoadAvg', 'someone-else', range);
    expect(theirs.json).toEqual({ entries: [{ date: '2018-07-12T13:30:00.000Z', value: 0.9 }] });
    const empty = await getOriginal(url, 'cpuLoadAvg', originalReport.user_id, {
      ...range,
      start: '2019-01-01T00:00:00Z',
      end: '2019-01-02T00:00:00Z',
    });
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ entries: [] });
  });

  it('ignores network and disk keys in the original body: the 2018 format carries CPU only', async () => {
    const { url } = await server();
    const post = await postOriginal(url, {
      ...originalReport,
      network: { rxBytesPerSecond: { mean: -1, variance: 0, min: -1, max: -1 } },
      disk: { filesystemUsedRatio: 1.5 },
    });
    expect(post.status).toBe(200);
    const history = await graphql(
      url,
      `{ metricHistory(metric: NETWORK_RX_BYTES_PER_SECOND, from: "2018-07-12T00:00:00Z", to: "2018-07-13T00:00:00Z") { points { value } } }`,
    );
    expect(history.body).toEqual({ data: { metricHistory: { points: [] } } });
  });

  it('takes the range from query parameters too, with epoch-ms times', async () => {
    const { url } = await server();
    await postOriginal(url);
    const query = `?start=${Date.parse(range.start)}&end=${encodeURIComponent(range.end)}&resample_rate=1h`;
    const get = await getOriginal(
      url,
      'cpuLoadAvg',
      encodeURIComponent(originalReport.user_id),
      undefined,
      query,
    );
    expect(get.status).toBe(200);
    expect(get.json).toEqual({ entries: [{ date: '2018-07-12T13:00:00.000Z', value: 0.2148631642976225 }] });
  });

  it('does not answer 200 when the store cannot commit: 503, Retry-After, nothing acknowledged', async () => {
    const srv = await server();
    await srv.app.metrics.close();
    const post = await postOriginal(srv.url);
    expect(post.status).toBe(503);
    expect(post.headers['retry-after']).toBe('5');
    expect(post.json).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const gql = await graphql(srv.url, REPORT_MUTATION, { input: reportInput() });
    expect(gql.body.errors?.[0]?.extensions).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      retryable: true,
      outcome: 'NOT_STORED',
    });
    expect(gql.body.errors?.[0]?.message).toMatch(/nothing was stored/);
    expect(gql.body.data).toBeNull();
    const ready = await rawRequest(`${srv.url}/ready`);
    expect(ready.status).toBe(503);
  });

  it("takes the original Scala client's body as Jackson wrote it, and defaults resample_rate to 15m", async () => {
    const { url } = await server();
    // ClientApplication.scala: Jackson with SNAKE_CASE, the `type` property first, `name` from getName,
    // doubles as Java prints them, `user_id` from OSHI's hardware serial number ("unknown" on a VM, or
    // with spaces, as many firmwares fill it).
    const jackson = (userId: string, start: number, mean: string) =>
      `{"user_id":${JSON.stringify(userId)},"start_timestamp":${start},"end_timestamp":${start + 5021},` +
      `"observations_per_metric":100,"os_type":"Linux","os_version":"18.04 LTS","metrics":[{"type":"CPU",` +
      `"avg_utilization":${mean},"var_utilization":1.0E-4,"avg_utilization_by_core":[0.5,0.0],` +
      `"var_utilization_by_core":[2.5E-5,0.0],"name":"CpuUtilization"}]}`;
    const start = Date.parse('2018-07-12T13:37:40.605Z');
    const serial = 'To be filled by O.E.M.';
    for (const body of [
      jackson(serial, start, '0.25'),
      jackson(serial, start + 15 * 60_000, '7.5E-1'),
      jackson('unknown', start, '0.125'),
    ]) {
      const post = await rawRequest(`${url}/api/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(post.status).toBe(200);
    }
    const noRate = { start: range.start, end: range.end };
    const bySerial = await getOriginal(url, 'cpuLoadAvg', encodeURIComponent(serial), noRate);
    expect(bySerial.status).toBe(200);
    expect(bySerial.json).toEqual({
      entries: [
        { date: '2018-07-12T13:30:00.000Z', value: 0.25 },
        { date: '2018-07-12T13:45:00.000Z', value: 0.75 },
      ],
    });
    const query = `?start=${encodeURIComponent(range.start)}&end=${encodeURIComponent(range.end)}`;
    const unknown = await getOriginal(url, 'cpuCoreLoadAvgMax', 'unknown', undefined, query);
    expect(unknown.json).toEqual({ entries: [{ date: '2018-07-12T13:30:00.000Z', value: 0.5 }] });
  });
});
