import { errorRegistry } from '@metrics-collector/schema/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { GQL_HEADERS, type Json } from './cases.js';

/** Documents and parameters that once reached graphql-js's parser or yoga's own request checks. */
describe('GraphQL documents and parameters stopped before the parser and yoga', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv?.stop());

  // graphql-js's recursive-descent parser overflows the stack on ~10,000 nested brackets; the RangeError is
  // masked as INTERNAL_SERVER_ERROR and answers 500. It is bad input and should answer 400.
  it.each([
    ['nested selections', `{ ${'a { '.repeat(10_000)}b${' }'.repeat(10_000)} }`],
    [
      'a nested list literal',
      `{ metricHistory(metric: CPU_UTILIZATION, clientId: ${'['.repeat(10_000)}1${']'.repeat(10_000)}) { to } }`,
    ],
    [
      'a nested object literal',
      `{ metricHistory(metric: CPU_UTILIZATION, clientId: ${'{a:'.repeat(10_000)}1${'}'.repeat(10_000)}) { to } }`,
    ],
  ])('a query of 10,000 %s answers 400, not 500', async (_name, query) => {
    const answer = await graphql(srv.url, query, undefined, GQL_HEADERS);
    expect(answer.status).toBe(400);
    expect(['QUERY_TOO_DEEP', 'GRAPHQL_PARSE_FAILED']).toContain(answer.body.errors?.[0].extensions.code);
  });

  // Bodies that are JSON objects but not GraphQL parameters fall through to yoga, which answers with codes
  // that are not in the registry (BAD_REQUEST, OPERATION_RESOLUTION_FAILURE).
  it.each([
    ['query is a number', 'query', { query: 5 }],
    ['query is missing', 'query', { variables: {} }],
    ['operationName is a number', 'operationName', { query: '{ clients { id } }', operationName: 7 }],
    ['variables is an array', 'variables', { query: '{ clients { id } }', variables: [] }],
  ])('%s answers 400 with a registry code naming %s', async (_name, param, body) => {
    const answer = await rawRequest(`${srv.url}/graphql`, {
      method: 'POST',
      headers: GQL_HEADERS,
      body: JSON.stringify(body),
    });
    expect(answer.status).toBe(400);
    const error = (answer.json as Json).errors[0];
    expect(error.extensions.field === param || error.message.includes(`"${param}"`)).toBe(true);
    expect(Object.keys(errorRegistry)).toContain(error.extensions.code);
  });
});
