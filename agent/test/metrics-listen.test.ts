/**
 * `--metrics-listen`: a real agent process serves its own numbers for Prometheus. Windows sent move while
 * the server takes them; once it is gone, failures and the spool's depth move; the text passes
 * `promtool check metrics`. A port already taken is one line naming the flag, exit 2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../../server/test/helpers.js';
import { type Scrape, scrapeOf } from '../../server/test/self-metrics/scrape.js';
import { waitFor } from '../../server/test/ws-helpers.js';
import { promtoolBinary, promtoolCheckMetrics } from '../../testing/prometheus.js';
import { hasBinary } from '../../testing/real-servers.js';
import { type AgentProcess, startAgentProcess } from './agent-process.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function agent(args: string[]): AgentProcess {
  const spoolDir = mkdtempSync(join(tmpdir(), 'mc-agent-metrics-'));
  const process = startAgentProcess(['--spool-dir', spoolDir, ...args]);
  cleanups.push(async () => {
    if (process.child.exitCode === null && process.child.signalCode === null) {
      process.child.kill('SIGKILL');
      await process.exited;
    }
    rmSync(spoolDir, { recursive: true, force: true });
  });
  return process;
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return scrapeOf(await res.text());
}

describe('metrics-agent --metrics-listen', { timeout: 120_000 }, () => {
  it('serves windows sent, send failures, spool depth and bytes, collector errors', async () => {
    const srv = await startTestServer();
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : srv.stop()));
    const process = agent([
      '--server',
      `${srv.url}/graphql`,
      '--client-id',
      'agent-metrics',
      '--sampling-interval',
      '100ms',
      '--report-interval',
      '1s',
      '--retry-max',
      '1s',
      '--metrics-listen',
      '127.0.0.1:0',
    ]);
    const started = await process.waitFor((l) => l.msg === 'serving the agent metrics');
    const url = String(started.url);
    let last = await scrape(url);
    await waitFor(
      async () => {
        last = await scrape(url);
        return last.value('metrics_agent_windows_sent_total') >= 2;
      },
      'two windows sent',
      60_000,
    );
    expect(last.value('metrics_agent_windows_closed_total')).toBeGreaterThanOrEqual(2);
    expect(last.value('metrics_agent_samples_total')).toBeGreaterThan(0);
    expect(last.text).toContain('# TYPE metrics_agent_collector_errors_total counter');
    expect(last.has('process_cpu_seconds_total')).toBe(true);

    // The server stops: windows stay in the spool and each attempt to send fails.
    stopped = true;
    await srv.stop();
    await waitFor(
      async () => {
        last = await scrape(url);
        return (
          last.value('metrics_agent_send_failures_total') >= 1 &&
          last.value('metrics_agent_spool_windows') >= 2
        );
      },
      'failures and a spool backlog',
      60_000,
    );
    expect(last.value('metrics_agent_spool_bytes')).toBeGreaterThan(0);
    if (hasBinary(promtoolBinary)) expect(promtoolCheckMetrics(last.text)).toEqual({ status: 0, output: '' });
  });

  it('refuses a port already taken in one line naming the flag, exit 2', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
    const { port } = taken.address() as { port: number };
    const process = agent([
      '--server',
      'http://127.0.0.1:9/graphql',
      '--metrics-listen',
      `127.0.0.1:${port}`,
    ]);
    expect(await process.exited).toBe(2);
    expect(process.stderr().trim()).toBe(
      `--metrics-listen (AGENT_METRICS_LISTEN): cannot listen on 127.0.0.1:${port} (EADDRINUSE)`,
    );
  });
});
