import { errorRegistry } from '@metrics-collector/schema/errors';
import { expect } from 'vitest';
import type { RawResponse } from '../helpers.js';

// What every answer to a fuzzed request must be: below 500, and in the shape of its API.

type Json = Record<string, any>;

const registryCodes = Object.keys(errorRegistry);

export function checkRest(answer: RawResponse, body: string | Buffer) {
  const context = `${answer.status} ${answer.text.slice(0, 300)} for ${body.toString().slice(0, 300)}`;
  expect(answer.status < 300 || (answer.status >= 400 && answer.status < 500), context).toBe(true);
  if (answer.status === 200) return;
  // Every error in the original's shape, with a registry code whose status it answers.
  const json = answer.json as Json;
  expect(json, context).toEqual({ errors: [expect.any(String)], code: expect.any(String) });
  expect(registryCodes, context).toContain(json.code);
  expect(errorRegistry[json.code as keyof typeof errorRegistry].status, context).toBe(answer.status);
}

export function checkGraphql(answer: RawResponse, body: string | Buffer) {
  const context = `${answer.status} ${answer.text.slice(0, 300)} for ${body.toString().slice(0, 300)}`;
  expect(answer.status < 300 || (answer.status >= 400 && answer.status < 500), context).toBe(true);
  // No masked unexpected error, even inside a 200 or an event stream.
  expect(answer.text, context).not.toContain('INTERNAL_SERVER_ERROR');
  const json = answer.json as Json | undefined;
  if (!String(answer.headers['content-type']).includes('json')) return; // event stream, multipart, 406
  expect(json, context).toBeDefined();
  if (json === undefined) return;
  expect('data' in json || json.errors?.length > 0, context).toBe(true);
  if (answer.status >= 400) expect(json.errors?.length, context).toBeGreaterThan(0);
}

/** Any generated value as query-string text; objects without a prototype have no `toString`. */
export function asText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
