import { request as httpRequest } from 'node:http';
import { expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput, rootVersion } from '../../../testing/fixtures.js';
import { type RawResponse, rawRequest } from '../helpers.js';
import { raw, stringify } from '../raw-json.js';
import {
  bad,
  GQL_HEADERS,
  gqlRaw,
  invalidJson,
  JSON_TYPE,
  MiB,
  notAllowed,
  notFound,
  notObject,
  post,
  RANGE,
  type Row,
  restGet,
  restRaw,
  restRoute,
  tooLarge,
} from './cases.js';
import { describeBadInput } from './suite.js';

// Bodies that are not JSON, not an object or too large; routes and methods that do not exist.

/** Sends `body` in 64 KiB chunks without a Content-Length, so the server only learns the size by reading. */
function sendChunked(url: string, body: Buffer, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: text ? JSON.parse(text) : undefined,
        });
      });
    });
    // The server may close while the rest of the body is still on its way; only the answer matters.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    let offset = 0;
    const pump = () => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + 64 * 1024);
        offset += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

const validReportBody = (clientId: string, padding: number) =>
  stringify({
    query: REPORT_MUTATION,
    variables: { input: reportInput({ clientId }) },
    extensions: { padding: 'x'.repeat(padding) },
  });

const rows: Row[] = [
  // Malformed JSON
  restRaw('malformed JSON (cut short)', '{"user_id": "rest-malformed", "start_timestamp": ', invalidJson),
  restRaw(
    'malformed JSON (NaN is not JSON)',
    stringify({ ...originalReport, user_id: 'rest-nan-token', observations_per_metric: raw('NaN') }),
    invalidJson,
  ),
  restRaw('malformed JSON (single quotes)', "{'user_id': 'rest-quotes'}", invalidJson),
  restRaw('bytes that are not JSON', Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80]), invalidJson),
  restGet('malformed JSON body', invalidJson, { body: '{"start": "2018-07-12T12:00:00Z",' }),
  gqlRaw('malformed JSON', '{"query": "{ clients { id } }"', invalidJson),
  gqlRaw('malformed JSON (trailing comma)', '{"query": "{ clients { id } }",}', invalidJson),
  gqlRaw(
    'malformed JSON (Infinity is not JSON)',
    `{"query": ${JSON.stringify(REPORT_MUTATION)}, "variables": {"input": {"observations": Infinity}}}`,
    invalidJson,
  ),

  // Body not an object
  restRaw('body is an array', stringify([originalReport]), notObject),
  restRaw('body is a string', '"report"', notObject),
  restRaw('body is a number', '42', notObject),
  restRaw('body is null', 'null', notObject),
  restRaw('body is empty', '', notObject),
  restGet('body is an array', notObject, { body: [RANGE] }),
  gqlRaw('body is an array (batching is off)', stringify([{ query: '{ clients { id } }' }]), bad('body')),
  gqlRaw('body is a string', '"{ clients { id } }"', bad('body')),
  gqlRaw('body is null', 'null', bad('body')),
  gqlRaw('body is an empty object (no query)', '{}', bad('query')),
  gqlRaw('body is empty', '', bad('body')),

  // Bodies over 1 MiB (valid reports padded with an unknown property: stored if the limit failed)
  {
    transport: 'REST POST /api/v1/metrics',
    input: 'body over 1 MiB with Content-Length',
    send: post(
      '/api/v1/metrics',
      stringify({ ...originalReport, user_id: 'rest-too-large', padding: 'x'.repeat(MiB) }),
    ),
    clientId: 'rest-too-large',
    ...tooLarge,
  },
  {
    transport: 'REST POST /api/v1/metrics',
    input: 'body over 1 MiB, chunked (no Content-Length)',
    send: (url) =>
      sendChunked(
        `${url}/api/v1/metrics`,
        Buffer.from(
          stringify({ ...originalReport, user_id: 'rest-chunked', padding: 'x'.repeat(MiB + 4096) }),
        ),
        JSON_TYPE,
      ),
    clientId: 'rest-chunked',
    ...tooLarge,
  },
  restGet('body over 1 MiB', tooLarge, { body: { ...RANGE, padding: 'x'.repeat(MiB) } }),
  {
    transport: 'GraphQL POST /graphql',
    input: 'body over 1 MiB with Content-Length',
    send: post('/graphql', validReportBody('gql-too-large', MiB), GQL_HEADERS),
    clientId: 'gql-too-large',
    ...tooLarge,
  },
  {
    transport: 'GraphQL POST /graphql',
    input: 'body over 1 MiB, chunked (no Content-Length)',
    send: (url) =>
      sendChunked(`${url}/graphql`, Buffer.from(validReportBody('gql-chunked', MiB + 4096)), GQL_HEADERS),
    clientId: 'gql-chunked',
    ...tooLarge,
  },
  {
    transport: 'GraphQL POST /graphql',
    input: '16 MiB, chunked',
    send: (url) => sendChunked(`${url}/graphql`, Buffer.alloc(16 * MiB, ' '), GQL_HEADERS),
    ...tooLarge,
  },

  // Unknown REST route, wrong method
  restRoute('unknown route', 'GET', '/api/v1/metric', notFound),
  restRoute('unknown version', 'POST', '/api/v2/metrics', notFound),
  restRoute('user missing from the path', 'GET', '/api/v1/metrics/cpuLoadAvg/byUser', notFound),
  restRoute('extra path segment', 'GET', '/api/v1/metrics/cpuLoadAvg/byUser/someone/extra', notFound),
  restRoute('a path outside the API', 'POST', '/api/metrics', notFound),
  restRoute("POST on the server's own numbers", 'POST', '/metrics', notAllowed),
  restRoute('GET on the report route', 'GET', '/api/v1/metrics', notAllowed),
  restRoute('PUT on the report route', 'PUT', '/api/v1/metrics', notAllowed),
  restRoute('DELETE on the report route', 'DELETE', '/api/v1/metrics', notAllowed),
  restRoute('POST on the history route', 'POST', '/api/v1/metrics/cpuLoadAvg/byUser/someone', notAllowed),
  restRoute('DELETE on the history route', 'DELETE', '/api/v1/metrics/cpuLoadAvg/byUser/someone', notAllowed),
];

describeBadInput(rows, (server) => {
  it('names the allowed method in the Allow header of a 405', async () => {
    const get = await rawRequest(`${server.url}/api/v1/metrics`);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const post = await rawRequest(`${server.url}/api/v1/metrics/cpuLoadAvg/byUser/someone`, {
      method: 'POST',
      body: '{}',
    });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });

  it('still answers /health with 200 after all of that', async () => {
    const health = await rawRequest(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok', version: rootVersion });
    expect(await server.snapshot()).toEqual(server.baseline);
  });
});
