import { rawRequest } from '../helpers.js';

/** One sample of the Prometheus text format: the series' name, its labels and its value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of an exposition (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = (value as string).replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** A scrape: the text, and the sum of the samples of `name` whose labels include `labels`. */
export interface Scrape {
  text: string;
  value(name: string, labels?: Record<string, string>): number;
  has(name: string): boolean;
}

export function scrapeOf(text: string): Scrape {
  const samples = parseExposition(text);
  return {
    text,
    value: (name, labels = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((sum, s) => sum + s.value, 0),
    has: (name) => samples.some((s) => s.name === name),
  };
}

/** `GET /metrics` of the server at `url`, which must answer 200. */
export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await rawRequest(`${url}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${res.text}`);
  return scrapeOf(res.text);
}
