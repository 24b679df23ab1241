import { type Aggregate, type Client, createClient, type Metric, SdkError } from '@metrics-collector/sdk';
import { parse } from 'graphql';

/** What the console may show: the token's scopes, found by asking (see `connect`). */
export interface Session {
  client: Client;
  token: string | undefined;
  read: boolean;
  admin: boolean;
}

const TOKEN_KEY = 'metrics-collector.token';

export const savedToken = (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined;
export const saveToken = (token: string | undefined): void =>
  token ? sessionStorage.setItem(TOKEN_KEY, token) : sessionStorage.removeItem(TOKEN_KEY);

/**
 * Opens a session with `token` (none: auth off, or a server that asks for one). Every operation goes
 * over the SDK's one WebSocket (`transport: 'ws'`), which also carries the subscriptions; refusals come
 * back as GraphQL errors rather than 4xx responses. The scopes are found by asking: `clients` needs
 * `read`; a command with no client id needs `admin`, and is refused (nothing is queued) whoever asks —
 * FORBIDDEN without `admin`, BAD_USER_INPUT with it. Answers `'token'` when a token is needed,
 * `'refused'` when the server does not know this one.
 */
export async function connect(token: string | undefined): Promise<Session | 'token' | 'refused'> {
  const client = createClient({
    url: new URL('/graphql', location.href).href,
    token,
    transport: 'ws',
    ws: { lazy: true, lazyCloseTimeout: 60_000, retryAttempts: 20 },
  });
  const refused = async (run: () => Promise<unknown>): Promise<string | null> => {
    try {
      await run();
      return null;
    } catch (error) {
      // A token the server does not know closes the WebSocket with 4403 (docs/live.md).
      if (error instanceof SdkError && /\b4403\b/.test(error.message)) return 'refused';
      if (error instanceof SdkError) return error.code ?? error.kind;
      throw error;
    }
  };
  const [readCode, adminCode] = await Promise.all([
    refused(() => client.clients({ first: 1 })),
    refused(() => client.sendAgentCommand('', { type: 'SET_SAMPLING_INTERVAL', intervalMs: 0 })),
  ]);
  if (readCode === 'UNAUTHENTICATED' || readCode === 'refused') {
    await client.close();
    return readCode === 'refused' ? 'refused' : 'token';
  }
  if (readCode !== null && readCode !== 'FORBIDDEN') {
    await client.close();
    throw new Error(`the server did not answer as expected (${readCode})`);
  }
  return { client, token, read: readCode === null, admin: adminCode === 'BAD_USER_INPUT' };
}

/** One series of a batch of histories. */
export interface SeriesRequest {
  key: string;
  metric: Metric;
  clientId: string;
  core?: number | undefined;
}

export interface Range {
  from: number;
  to: number;
  resample: string;
  resampleMs: number;
  aggregate: Aggregate;
}

/** Bucket starts (s) and values of one series. */
export interface Series {
  time: number[];
  value: (number | null)[];
}

/** The API's budget (docs/security.md#query-budget): at most 50 aliases and a cost of 32,000 per operation. */
const MAX_COST = 30_000;
/**
 * Histories asked at once, over all operations in flight: the embedded store queues at most 64 reads and
 * answers STORE_UNAVAILABLE past that (docs/serving.md), and other pages and users read too.
 */
const IN_FLIGHT = 24;
/** At most 10,000 buckets per history: longer ranges are asked in parts. */
const PART_BUCKETS = 5_000;

/**
 * Many histories with few requests: operations of aliased `metricHistory` fields, each within the API's
 * alias and cost budget (3 per bucket: the row, time, value), at most `IN_FLIGHT` histories at once; a
 * range of more buckets than one history may answer is asked in parts split on bucket boundaries.
 */
export async function histories(
  client: Client,
  series: readonly SeriesRequest[],
  range: Range,
): Promise<Map<string, Series>> {
  const step = range.resampleMs;
  const parts: Range[] = [];
  for (let from = range.from; from < range.to; ) {
    const to = Math.min(range.to, (Math.floor(from / step) + PART_BUCKETS) * step);
    parts.push({ ...range, from, to });
    from = to;
  }
  const perSeries = Math.min(PART_BUCKETS, Math.ceil((range.to - range.from) / step) + 1) * 3 + 2;
  const perBatch = Math.max(1, Math.min(IN_FLIGHT, Math.floor(MAX_COST / perSeries)));
  const jobs: { batch: SeriesRequest[]; part: Range; answer?: Map<string, Series> }[] = [];
  for (const part of parts)
    for (let i = 0; i < series.length; i += perBatch)
      jobs.push({ batch: series.slice(i, i + perBatch), part });
  let next = 0;
  const worker = async () => {
    for (let job = jobs[next++]; job; job = jobs[next++])
      job.answer = await historyBatch(client, job.batch, job.part);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.floor(IN_FLIGHT / perBatch)) }, worker));
  const out = new Map<string, Series>();
  for (const { answer } of jobs) {
    for (const [key, s] of answer ?? []) {
      const into = out.get(key);
      if (!into) out.set(key, s);
      else {
        into.time.push(...s.time);
        into.value.push(...s.value);
      }
    }
  }
  return out;
}

const documents = new Map<string, ReturnType<typeof parse>>();

async function historyBatch(
  client: Client,
  batch: readonly SeriesRequest[],
  range: Range,
): Promise<Map<string, Series>> {
  const fields = batch.map(
    (s, i) =>
      `s${i}: metricHistory(metric: ${s.metric}, clientId: ${JSON.stringify(s.clientId)}${
        s.core === undefined ? '' : `, core: ${s.core}`
      }, from: $from, to: $to, resample: $resample, aggregate: $aggregate) { points { time value } }`,
  );
  const text = `query ConsoleHistories($from: DateTime!, $to: DateTime!, $resample: Duration!, $aggregate: Aggregate!) { ${fields.join(' ')} }`;
  let document = documents.get(text);
  if (!document) {
    document = parse(text);
    if (documents.size > 200) documents.clear();
    documents.set(text, document);
  }
  const data = (await client.request(document, {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    resample: range.resample,
    aggregate: range.aggregate,
  })) as Record<string, { points: { time: string; value: number | null }[] }>;
  const out = new Map<string, Series>();
  batch.forEach((s, i) => {
    const points = data[`s${i}`]?.points ?? [];
    out.set(s.key, {
      time: points.map((p) => Date.parse(p.time) / 1000),
      value: points.map((p) => p.value),
    });
  });
  return out;
}

/** Runs `each` for every event of `events` until `signal` aborts; errors are shown by `onError`. */
export function follow<T>(
  events: AsyncIterableIterator<T>,
  signal: AbortSignal,
  each: (event: T) => void,
  onError: (error: unknown) => void,
): void {
  signal.addEventListener('abort', () => void events.return?.(), { once: true });
  void (async () => {
    try {
      for await (const event of events) {
        if (signal.aborted) break;
        each(event);
      }
    } catch (error) {
      if (!signal.aborted) onError(error);
    }
  })();
}

/** A message for an error of the API. */
export function describe(error: unknown): string {
  if (error instanceof SdkError) return `${error.code ?? error.kind}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
