import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestServer, type TestServer } from '../../server/test/helpers.js';
import { REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';

const run = promisify(execFile);
/** The repository's root: examples run from there, as the README says. */
const root = fileURLToPath(new URL('../../', import.meta.url));
const ORIGINAL_ANSWER = '{"entries":[{"date":"2018-07-12T13:30:00.000Z","value":0.2148631642976225}]}';

let srv: TestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  srv = await startTestServer();
  env = { ...process.env, METRICS_URL: `${srv.url}/graphql`, METRICS_BASE: srv.url };
  delete env.METRICS_TOKEN;
});

afterAll(() => srv?.stop());

/** Runs `examples/<name>.ts` with tsx, as `npx tsx` would, and returns its output. */
async function example(name: string, args: string[] = [], extra: Record<string, string> = {}) {
  const { stdout, stderr } = await run('node', ['--import', 'tsx', `examples/${name}.ts`, ...args], {
    cwd: root,
    env: { ...env, ...extra },
    timeout: 30_000,
  });
  return { stdout, stderr };
}

describe('examples/', () => {
  it('report-metrics.ts reports this machine and prints the client id', async () => {
    const { stdout } = await example('report-metrics', [], {
      METRICS_CLIENT_ID: 'example-host',
      METRICS_WINDOW_MS: '200',
    });
    expect(stdout).toMatch(/^reported \d+ points of client example-host for \S+ \.\. \S+\n$/);
    const { body } = await graphql(srv.url, '{ client(id: "example-host") { id osType } }');
    expect(body.data.client).toMatchObject({ id: 'example-host' });
  });

  it('query-history.ts prints a table of the last hour with a header and a row', async () => {
    const now = Date.now();
    const { body } = await graphql(srv.url, REPORT_MUTATION, {
      input: reportInput({
        clientId: 'history-host',
        windowStart: new Date(now - 20_000).toISOString(),
        windowEnd: new Date(now - 10_000).toISOString(),
      }),
    });
    expect(body.errors).toBeUndefined();
    const { stdout } = await example('query-history', ['history-host']);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CPU_UTILIZATION of history-host, .* every 5m$/);
    expect(lines[1]?.split(/\s+/)).toEqual(['time', 'mean', 'min', 'max', 'count']);
    expect(lines.slice(2).map((l) => l.split(/\s+/).slice(1))).toContainEqual([
      '0.500',
      '0.300',
      '0.700',
      '10',
    ]);
    // Aligned: every row as wide as the header.
    expect(new Set(lines.slice(1).map((l) => l.length)).size).toBe(1);
  });

  it("query-history.ts and send-command.ts local find this machine's agent in clients, by its host name", async () => {
    // As the agent reports: under an id that is not the host name (a MAC address), with this host's name.
    const now = Date.now();
    const { body } = await graphql(srv.url, REPORT_MUTATION, {
      input: reportInput({
        clientId: 'agent-of-this-host',
        hostname: hostname(),
        windowStart: new Date(now - 10_000).toISOString(),
        windowEnd: new Date(now + 60_000).toISOString(),
      }),
    });
    expect(body.errors).toBeUndefined();
    const { stdout } = await example('query-history');
    expect(stdout.split('\n')[0]).toMatch(/^CPU_UTILIZATION of agent-of-this-host, /);
    const sent = await example('send-command', ['local', '500']);
    expect(sent.stdout).toMatch(/^command \S+: SET_SAMPLING_INTERVAL 500 ms for agent-of-this-host\n/);
  });

  it('query-history.ts without a client id, on a server that knows no client of this machine, says so and exits with 2', async () => {
    const empty = await startTestServer();
    try {
      const failed = await example('query-history', [], { METRICS_URL: `${empty.url}/graphql` }).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('usage:') });
      expect((failed as { stderr: string }).stderr).toContain('no client of this machine is registered');
    } finally {
      await empty.stop();
    }
  });

  it('watch-live.ts prints the event of a report sent while it runs, and exits after --count', async () => {
    const child = spawn('node', ['--import', 'tsx', 'examples/watch-live.ts', '--count', '1'], {
      cwd: root,
      env,
    });
    try {
      const output = lines(child);
      // The first line says the WebSocket connected; the subscriptions are sent right after.
      expect(await output.next()).toBe(`connected to ${srv.url}/graphql`);
      // A subscription is registered some time after it is sent: report the same window (idempotent)
      // until the event is printed.
      const window = reportInput({ clientId: 'live-host' });
      const event = output.next();
      let printed: string | undefined;
      const deadline = Date.now() + 20_000;
      while (printed === undefined && Date.now() < deadline) {
        await graphql(srv.url, REPORT_MUTATION, { input: window });
        printed = await Promise.race([event, new Promise<undefined>((r) => setTimeout(r, 100))]);
      }
      expect(printed).toMatch(
        /^report {2}live-host 2026-01-01T00:00:00\.000Z \.\. 2026-01-01T00:00:10\.000Z \d+ series cpu=0\.500$/,
      );
      expect(await exited(child)).toBe(0);
    } finally {
      child.kill();
    }
  });

  it('send-command.ts queues a sampling interval command and prints its id and PENDING', async () => {
    const { stdout } = await example('send-command', ['command-host', '500', '60']);
    expect(stdout).toMatch(
      /^command [0-9a-f-]{36}: SET_SAMPLING_INTERVAL 500 ms for command-host\nstatus PENDING, expires \S+\n$/,
    );
  });

  it('send-command.ts prints the error code and field of a rejected command', async () => {
    const failed = await example('send-command', ['command-host', '1']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('BAD_USER_INPUT') });
  });

  it('rest-v1.sh POSTs the original report and prints the original answer', async () => {
    const { stdout } = await run('bash', ['examples/rest-v1.sh'], { cwd: root, env, timeout: 15_000 });
    expect(stdout).toBe(`${ORIGINAL_ANSWER}\n`);
  });
});

/** The child's stdout, line by line; `next()` resolves to the next line, or rejects when it exits first. */
function lines(child: ChildProcess) {
  const queue: string[] = [];
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let i = buffered.indexOf('\n'); i !== -1; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(line);
      else queue.push(line);
    }
  });
  child.on('exit', (code) => {
    for (const waiter of waiting.splice(0)) {
      waiter.reject(new Error(`watch-live exited (${code}) before printing a line: ${stderr}`));
    }
  });
  return {
    next: () =>
      new Promise<string>((resolve, reject) => {
        const line = queue.shift();
        if (line !== undefined) resolve(line);
        else if (child.exitCode !== null) reject(new Error(`watch-live exited: ${stderr}`));
        else waiting.push({ resolve, reject });
      }),
  };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', resolve));
}
