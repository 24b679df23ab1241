import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Binary, type RealServer, startProcess } from './real-servers.js';

export const prometheusBinary: Binary = { name: 'prometheus', debianPackage: 'prometheus' };
export const promtoolBinary: Binary = { name: 'promtool', debianPackage: 'prometheus' };

/** `promtool check metrics` on an exposition: its exit status and what it printed (the lint problems). */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/**
 * Prometheus (Debian's) on loopback and a free port, its TSDB in the temporary folder, scraping `target`
 * (`host:port`) every `scrapeInterval`, with `bearer` as the scrape's token when given.
 */
export async function startPrometheus(options: {
  target: string;
  scrapeInterval?: string;
  bearer?: string;
}): Promise<RealServer> {
  return startProcess({
    what: 'prometheus',
    command: 'prometheus',
    prepare: (dir) => {
      const auth = options.bearer ? `\n    authorization:\n      credentials: "${options.bearer}"` : '';
      writeFileSync(
        join(dir, 'prometheus.yml'),
        `global:
  scrape_interval: ${options.scrapeInterval ?? '1s'}
  evaluation_interval: ${options.scrapeInterval ?? '1s'}
scrape_configs:
  - job_name: metrics-collector
    static_configs:
      - targets: ["${options.target}"]${auth}
`,
      );
    },
    args: (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    ready: async (url) => (await fetch(`${url}/-/ready`)).status === 200,
  });
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query through Prometheus's HTTP API: the result vector (throws on an error answer). */
export async function promQuery(url: string, query: string): Promise<PromSample[]> {
  const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: PromSample[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${query}: ${body.error}`);
  return body.data?.result ?? [];
}
