import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/test/helpers.js';

/**
 * The package as users get it: `npm pack` (whose prepack builds sdk/dist), publint and
 * @arethetypeswrong/cli on the tarball, then the tarball installed from the registry's point of view in a
 * folder outside the repository, where a TypeScript consumer type-checks and runs against a real server.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const sdkDir = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/**
 * The environment of the child processes, without what `npm test` sets for its own script: npm would
 * otherwise take the repository as the prefix of an install elsewhere.
 */
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) =>
      !/^npm_(config_local_prefix|config_prefix|package_|lifecycle_|command$)/i.test(key) &&
      !/^npm_config_workspace/i.test(key),
  ),
);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (the test server lives in this process) and never rejects. */
function run(file: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env: { ...childEnv, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (error && code === 1 ? String(error.message) : '') });
      },
    );
  });
}

/** Fails with the command's output, so that CI's log tells why. */
function expectSuccess(result: Run, what: string): void {
  if (result.code !== 0) {
    throw new Error(`${what} exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
}

let work: string;
let tarball: string;
let packedFiles: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mc-sdk-pack-'));
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], sdkDir);
  expectSuccess(packed, 'npm pack');
  // prepack's build writes its own output first; the JSON report is the last thing npm prints.
  const json = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as {
    filename: string;
    files: { path: string }[];
  }[];
  const [report] = json;
  if (!report) throw new Error(`npm pack printed no report: ${packed.stdout}`);
  tarball = join(work, report.filename);
  packedFiles = report.files.map((f) => f.path).sort();
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

it('packs the built entries, declarations, maps with their sources and the README, and nothing else', () => {
  for (const file of [
    'README.md',
    'package.json',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/index.js.map',
    'dist/node.js',
    'dist/node.d.ts',
    'dist/client.js',
    'dist/generated/graphql.js',
    'dist/generated/graphql.d.ts',
    'dist/common/backoff.js',
    'src/index.ts',
    'src/client.ts',
  ]) {
    expect(packedFiles).toContain(file);
  }
  expect(packedFiles.filter((f) => !/^(dist|src)\/|^(README\.md|package\.json)$/.test(f))).toEqual([]);
  expect(packedFiles.filter((f) => f.startsWith('test/') || f.includes('tsconfig'))).toEqual([]);
});

it('carries its own copy of the private @metrics-collector/common: nothing in dist imports the package', () => {
  const built = packedFiles.filter((f) => /^dist\/.*\.(js|d\.ts)$/.test(f));
  expect(built.length).toBeGreaterThan(10);
  for (const file of built) {
    const text = readFileSync(join(sdkDir, file), 'utf8');
    expect({ file, imports: text.includes('@metrics-collector/common') }).toEqual({ file, imports: false });
  }
});

it('passes publint and @arethetypeswrong/cli (ESM-only)', async () => {
  const [publint, attw] = await Promise.all([
    run(bin('publint'), ['run', tarball, '--strict'], root),
    run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], root),
  ]);
  expectSuccess(publint, 'publint');
  expect(publint.stdout).toContain('All good!');
  expectSuccess(attw, 'attw');
}, 60_000);

const consumerTs = `
import assert from 'node:assert/strict';
import { createClient as createBrowserClient, SdkError } from '@metrics-collector/sdk';
import {
  createClient,
  type MetricHistoryQuery,
  type OnMetricReportedSubscription,
  type ReportMetricsInput,
} from '@metrics-collector/sdk/node';

const url = process.env.MC_URL;
if (!url) throw new Error('MC_URL is not set');
const client = createClient({ url: \`\${url}/graphql\` });

const input: ReportMetricsInput = {
  clientId: 'consumer-host',
  windowStart: '2026-01-01T00:00:00.000Z',
  windowEnd: new Date('2026-01-01T00:00:10.000Z'),
  observations: 10,
  hostname: 'consumer.example',
  osType: 'Linux',
  osVersion: '6.1',
  cpu: { utilization: { mean: 0.25, variance: 0.01, min: 0.1, max: 0.4 } },
  memory: { usedRatio: { mean: 0.5, variance: 0, min: 0.5, max: 0.5 }, totalBytes: 8e9 },
};

/** Never called: the SDK's types must reject these, or the directives themselves fail the type check. */
function _typesAreReal(): void {
  // @ts-expect-error not a metric
  void client.metricHistory({ metric: 'NOT_A_METRIC' });
  // @ts-expect-error agentCommands needs a clientId
  void client.subscriptions.agentCommands({});
  // @ts-expect-error no such method
  void client.reportMetric(input);
}
void _typesAreReal;

type Event = OnMetricReportedSubscription['metricReported'];
const events = client.subscriptions.metricReported({ clientId: 'consumer-host' });
// The subscription is registered some time after it is opened: report until its event arrives.
const first = events.next();
let event: Event | undefined;
const deadline = Date.now() + 20_000;
let ack: Awaited<ReturnType<typeof client.reportMetrics>> | undefined;
while (event === undefined) {
  if (Date.now() > deadline) throw new Error('no metricReported event');
  ack = await client.reportMetrics(input);
  const step = await Promise.race([first, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
  if (step) {
    assert.equal(step.done, false);
    event = step.value as Event;
  }
}
await events.return?.();

const history: MetricHistoryQuery['metricHistory'] = await client.metricHistory({
  metric: 'CPU_UTILIZATION',
  clientId: 'consumer-host',
  from: '2026-01-01T00:00:00Z',
  to: '2026-01-01T00:01:00Z',
  resample: '10s',
  aggregate: 'MAX',
});

let error: unknown;
try {
  await client.metricHistory({ metric: 'CPU_UTILIZATION', from: '2026-01-01T00:01:00Z', to: '2026-01-01T00:00:00Z' });
} catch (e) {
  error = e;
}
await client.close();

// The browser entry loads in Node too (without a global WebSocket, subscriptions need webSocketImpl).
const browser = createBrowserClient({ url: \`\${url}/graphql\` });
const clients = (await browser.clients()).map((c) => c.id);
await browser.close();

console.log(
  JSON.stringify({
    ack,
    event: { clientId: event.clientId, windowEnd: event.windowEnd, observations: event.observations },
    points: history.points.map((p) => [p.time, p.value]),
    error: error instanceof SdkError ? { name: error.name, kind: error.kind, code: error.code } : String(error),
    clients,
  }),
);
`;

const consumerTsconfig = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    types: ['node'],
    outDir: 'out',
    // The package's declarations and those of its dependencies are checked too.
    skipLibCheck: false,
  },
  files: ['consumer.ts'],
};

/**
 * The README's TypeScript examples, one module each; those that use `client` without creating it get one
 * declared, so that the type check holds them to the published declarations.
 */
function readmeExamples(): string[] {
  const readme = readFileSync(join(sdkDir, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(([, code = '']) =>
    code.includes('createClient(')
      ? code
      : `declare const client: import('@metrics-collector/sdk').Client;\nexport {};\n${code}`,
  );
}

let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
});

it('installs from the tarball outside the repository, type-checks and runs a TypeScript consumer on Node 20 with ws', async () => {
  const app = mkdtempSync(join(tmpdir(), 'mc-sdk-consumer-'));
  try {
    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'mc-sdk-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
    );
    const installed = await run(
      'npm',
      [
        'install',
        tarball,
        'ws@^8',
        'typescript@5.9',
        '@types/ws@^8',
        '@types/node@20',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--no-package-lock',
      ],
      app,
    );
    expectSuccess(installed, 'npm install');
    const manifest = JSON.parse(
      readFileSync(join(app, 'node_modules/@metrics-collector/sdk/package.json'), 'utf8'),
    ) as { version: string };
    expect(manifest.version).toBe(JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8')).version);

    writeFileSync(join(app, 'consumer.ts'), consumerTs);
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThan(4);
    examples.forEach((code, i) => {
      writeFileSync(join(app, `readme-${i}.ts`), code);
    });
    const tsconfig = {
      ...consumerTsconfig,
      files: [...consumerTsconfig.files, ...examples.map((_, i) => `readme-${i}.ts`)],
    };
    writeFileSync(join(app, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
    const tsc = join(app, 'node_modules', '.bin', 'tsc');
    expectSuccess(await run(tsc, ['-p', '.'], app), 'tsc');

    server = await startTestServer();
    const consumer = await run(process.execPath, ['out/consumer.js'], app, { MC_URL: server.url });
    expectSuccess(consumer, 'the consumer');
    const output = JSON.parse(consumer.stdout.trim().split('\n').at(-1) ?? '');
    expect(output).toEqual({
      ack: {
        clientId: 'consumer-host',
        windowStart: '2026-01-01T00:00:00.000Z',
        windowEnd: '2026-01-01T00:00:10.000Z',
        points: expect.any(Number),
      },
      event: { clientId: 'consumer-host', windowEnd: '2026-01-01T00:00:10.000Z', observations: 10 },
      points: [['2026-01-01T00:00:00.000Z', 0.4]],
      error: { name: 'SdkError', kind: 'graphql', code: 'INVALID_TIME_RANGE' },
      clients: ['consumer-host'],
    });
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}, 180_000);
