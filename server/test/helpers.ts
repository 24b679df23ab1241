import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '@metrics-collector/schema/clock';
import type { MetricStore } from '@metrics-collector/schema/metrics/types';
import { expect } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/config.js';
import type { HttpTimeouts } from '../src/http/connections.js';
import { type Listening, listen } from '../src/listen.js';
import { createLogger } from '../src/logger.js';
import {
  inject,
  inProcessHandler,
  type RawRequestOptions,
  type RawResponse,
  serveInProcess,
  stopServingInProcess,
} from './in-process.js';

export type { RawResponse } from './in-process.js';

export interface TestServer {
  /** The app, with its listener's `server` and `connections`. */
  app: App & Pick<Listening, 'server' | 'connections'>;
  /** Base URL, such as `http://127.0.0.1:39211`. */
  url: string;
  dataDir: string;
  /** Stops the server; removes the data folder unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  dataDir?: string;
  clock?: Clock;
  metrics?: MetricStore;
}

/** The app `main.ts` would build from `env`, with its data in a new temporary folder (or `dataDir`); logs are silent. */
function buildTestApp(options: TestAppOptions): { app: App; config: Config; dataDir: string } {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'mc-test-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ...options.env });
  const app = buildApp(config, {
    logger: createLogger('silent'),
    clock: options.clock,
    metrics: options.metrics,
  });
  return { app, config, dataDir };
}

/**
 * Starts a real server on a free loopback port with its data in a new temporary folder (or `dataDir`).
 * `env` adds configuration variables as `main.ts` would read them; logs are silent.
 */
export async function startTestServer(
  options: TestAppOptions & { timeouts?: Partial<HttpTimeouts> } = {},
): Promise<TestServer> {
  const { app, config, dataDir } = buildTestApp(options);
  const listening = await listen(app, config, { timeouts: options.timeouts });
  return {
    app: { ...app, server: listening.server, connections: listening.connections },
    url: listening.url,
    dataDir,
    stop: async ({ keepData = false } = {}) => {
      await listening.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A server without a socket (`startTestApp`): requests to `url` go to the app's handler in-process. */
export interface TestApp {
  app: App;
  /** Base URL for `rawRequest`, `graphql`, `ok`, `fails` (`http://in-process-1.test`); no socket listens. */
  url: string;
  dataDir: string;
  /** Stops the app; removes the data folder unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * Like `startTestServer`, without a socket: `rawRequest` (and so `graphql`, `ok`, `fails`) hands requests
 * to `url` to the app's request handler in-process. For tests where the socket does not matter.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { app, dataDir } = buildTestApp(options);
  app.start();
  const url = serveInProcess(app.handleRequest);
  return {
    app,
    url,
    dataDir,
    stop: async ({ keepData = false } = {}) => {
      stopServingInProcess(url);
      await app.drain();
      await app.dispose();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One HTTP request with node:http, which (unlike fetch) can send a body with GET, as the original
 * service's clients did. A `startTestApp` URL is answered in-process.
 */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const handler = inProcessHandler(url);
  if (handler) return inject(handler, url, options);
  return new Promise((resolve, reject) => {
    // Node sends a GET body without a length unless told; curl sends Content-Length, so do the same.
    const length =
      options.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(options.body)) };
    const headers = { ...length, ...options.headers };
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POSTs a GraphQL operation to `/graphql` and returns status and parsed body. */
export async function graphql(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { data?: any; errors?: any[] } }> {
  const res = await rawRequest(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: res.json as { data?: any; errors?: any[] } };
}

/** Runs an operation that must succeed; returns its one field. */
export async function ok(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<any> {
  const res = await graphql(url, query, variables, headers);
  expect(res.body.errors).toBeUndefined();
  return Object.values(res.body.data)[0];
}

/** Runs an operation that must fail; returns its HTTP status and its one error's code, field and message. */
export async function fails(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const res = await graphql(url, query, variables, headers);
  expect(res.body.errors).toHaveLength(1);
  const [error] = res.body.errors as any[];
  return {
    status: res.status,
    code: error.extensions?.code,
    field: error.extensions?.field,
    message: error.message,
  };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so that a failure can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
