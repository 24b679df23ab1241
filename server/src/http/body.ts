/** Reading request bodies as JSON (size limit, parse, values no input may hold) and answering JSON. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, badInput } from '@metrics-collector/schema/errors';

/**
 * Reads the whole body, refusing more than `limit` bytes with `PAYLOAD_TOO_LARGE` as soon as the
 * declared length or the bytes received pass it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * Parses a body as JSON; `INVALID_JSON` names the problem. An empty body is `undefined`. The value is then
 * held to `checkJsonValues`, with fields named by `fieldOf`.
 */
export function parseJson(body: Buffer, fieldOf: (path: string) => string = (path) => path): unknown {
  if (body.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new AppError('INVALID_JSON', `body: malformed JSON (${(error as Error).message})`, {
      field: 'body',
    });
  }
  // Neither problem fits in a small body without a `\u` escape: skip the walk (most reports).
  if (body.length >= SMALLEST_LONG_LIST || body.includes('\\u')) checkJsonValues(value, '', fieldOf);
  return value;
}

/** The longest list any input takes (a report's per-core statistics, `cpu.cores`). */
export const MAX_JSON_LIST = 1_024;
/**
 * The shortest JSON text holding a list of more than `MAX_JSON_LIST` entries: `[0,0,...,0]`. A lone
 * surrogate, the other problem `checkJsonValues` finds, needs a `\u` escape (UTF-8 bytes cannot make one).
 */
const SMALLEST_LONG_LIST = 2 * (MAX_JSON_LIST + 1) + 1;

/**
 * Throws `BAD_USER_INPUT` at the first place in a parsed JSON value that no input may hold, before any
 * work is spent on it:
 *
 * - a string or key with a lone UTF-16 surrogate (JSON's `"\ud800"` escape makes one; UTF-8 bytes
 *   cannot): no store keeps it as sent, so a client id would be merged with another or mangled;
 * - a list longer than `MAX_JSON_LIST`: 1 MiB holds 17,000 statistics, which GraphQL would coerce one by
 *   one before the service refused them.
 *
 * The field is the value's path after `root` (`user_id`, `metrics[0].name`), as `fieldOf` names it; a
 * key at fault is named by the object holding it.
 */
export function checkJsonValues(
  value: unknown,
  root = '',
  fieldOf: (path: string) => string = (path) => path,
): void {
  const problem = problemAt(value, root);
  if (problem) throw badInput(fieldOf(problem.at) || 'body', problem.message);
}

/** `input.cpu` for key `cpu` of `input`, `cores[2]` for index 2 of `cores`. */
function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** GraphQL names a variable's parts by their path inside the variables (`input.clientId`). */
export const graphqlField = (path: string) => path.replace(/^variables\./, '');

const LONE_SURROGATE = 'is not well-formed UTF-16: it holds a lone surrogate (\\ud800-\\udfff)';

/**
 * Iterative, so that JSON nested 500,000 deep (it fits in 1 MiB, and JSON.parse takes it) is no stack
 * risk; paths are built for containers and for the value at fault only.
 */
function problemAt(root: unknown, rootPath: string): { at: string; message: string } | null {
  if (typeof root === 'string') return root.isWellFormed() ? null : { at: rootPath, message: LONE_SURROGATE };
  const tooLong = (value: object) =>
    Array.isArray(value) && value.length > MAX_JSON_LIST
      ? `has ${value.length} entries, more than the ${MAX_JSON_LIST} allowed`
      : null;
  const stack: [object, string][] = [];
  if (typeof root === 'object' && root !== null) {
    const message = tooLong(root);
    if (message) return { at: rootPath, message };
    stack.push([root, rootPath]);
  }
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [container, path] = item;
    const keys = Array.isArray(container) ? null : Object.keys(container);
    const length = keys ? keys.length : (container as unknown[]).length;
    for (let i = 0; i < length; i += 1) {
      const key = keys ? (keys[i] as string) : i;
      if (keys && !(key as string).isWellFormed()) return { at: path, message: LONE_SURROGATE };
      const value = (container as Record<string | number, unknown>)[key];
      if (typeof value === 'string') {
        if (!value.isWellFormed()) return { at: childPath(path, key), message: LONE_SURROGATE };
      } else if (typeof value === 'object' && value !== null) {
        // Lengths are checked as lists are met, in document order, before anything inside them.
        const message = tooLong(value);
        if (message) return { at: childPath(path, key), message };
        stack.push([value, childPath(path, key)]);
      }
    }
  }
  return null;
}

function tooLarge(limit: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `body: larger than the ${limit} bytes allowed`, { field: 'body' });
}

/** Answers `body` as JSON with `status` and `headers`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
