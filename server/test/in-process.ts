import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { RequestHandler } from '../src/http/router.js';

/**
 * Requests handed to an app's request handler in-process, without a socket: `node:http`'s own
 * `IncomingMessage` and `ServerResponse` over a socket stand-in that discards what is written (the answer
 * is read from the response object). For tests where the socket does not matter; connections, WebSocket,
 * cross-site `Host`/`Origin` at the socket level and the README stay on real servers.
 */

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or `undefined` when it is empty or not JSON. */
  json: unknown;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** `false`: a connection of its own, closed after the answer (no keep-alive agent). */
  agent?: false;
}

/** The base URLs of apps served in-process (`http://in-process-1.test`), to their request handlers. */
const handlers = new Map<string, RequestHandler>();
let next = 0;

/** Serves `handler` in-process; returns the base URL that `rawRequest` (and so `graphql`, ...) hands to it. */
export function serveInProcess(handler: RequestHandler): string {
  next += 1;
  const url = `http://in-process-${next}.test`;
  handlers.set(url, handler);
  return url;
}

export function stopServingInProcess(url: string): void {
  handlers.delete(url);
}

/** The handler of an in-process base URL that `url` starts with, if any. */
export function inProcessHandler(url: string): RequestHandler | undefined {
  if (!url.startsWith('http://in-process-')) return undefined;
  return handlers.get(new URL(url).origin);
}

/** Stands in for the socket: accepts and discards every write. */
class NullSocket extends Writable {
  remoteAddress = '127.0.0.1';
  remotePort = 0;
  encrypted = false;
  override _write(_chunk: unknown, _encoding: string, done: () => void): void {
    done();
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

/**
 * One request to `handler`, as `rawRequest` sends it: the `Host` a loopback client sends (`127.0.0.1`)
 * unless `headers` names one, and `Content-Length` for a body. Rejects as a real request would when the
 * handler cuts the connection before answering.
 */
export function inject(
  handler: RequestHandler,
  url: string,
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  const { pathname, search } = new URL(url);
  const socket = new NullSocket();
  const req = new IncomingMessage(socket as unknown as Socket);
  req.method = options.method ?? 'GET';
  req.url = `${pathname}${search}`;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  const headers: Record<string, string> = { host: '127.0.0.1' };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  req.headers = headers;
  req.rawHeaders = Object.entries(headers).flat();
  if (options.body !== undefined && options.body.length > 0) req.push(Buffer.from(options.body));
  req.push(null);
  // As the parser marks a request read to its end (else consuming it would abort it and cut the socket).
  req.complete = true;

  const res = new ServerResponse(req);
  // With a header set once, `writeHead(status, headers)` merges its headers where `getHeaders()` reads them.
  res.setHeader('x-in-process', '1');
  res.removeHeader('x-in-process');
  res.assignSocket(socket as unknown as Socket);
  // As node:http's connection listener does: a large answer (GraphiQL's 9 MB page) waits for the socket's
  // 'drain', which the response hears only through it.
  socket.on('drain', () => res.emit('drain'));
  const chunks = captureBody(res);
  return new Promise((resolve, reject) => {
    res.once('finish', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: res.statusCode, headers: headersOf(res), text, json: parse(text) });
      process.nextTick(() => res.emit('close'));
    });
    res.once('close', () => {
      if (!res.writableFinished) reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    });
    handler(req, res);
  });
}

/** Keeps every chunk the handler writes, before any transfer encoding. */
function captureBody(res: ServerResponse): Buffer[] {
  const chunks: Buffer[] = [];
  const keep = (chunk: unknown, encoding: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    if (typeof chunk === 'string') {
      chunks.push(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
    } else {
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
  };
  const write = res.write;
  const end = res.end;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    keep(chunk, rest[0]);
    return write.apply(this, [chunk, ...rest] as never);
  } as typeof res.write;
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    keep(chunk, rest[0]);
    return end.apply(this, [chunk, ...rest] as never);
  } as typeof res.end;
  return chunks;
}

function headersOf(res: ServerResponse): RawResponse['headers'] {
  const headers: RawResponse['headers'] = {};
  for (const [name, value] of Object.entries(res.getHeaders())) {
    headers[name] = Array.isArray(value)
      ? value.map(String)
      : value === undefined
        ? undefined
        : String(value);
  }
  return headers;
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `fetch` for in-process base URLs (yoga's Fetch style), for clients that take a fetch function, such as
 * graphql-http's audit. Other URLs go to the global `fetch`.
 */
export async function fetchInProcess(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const handler = inProcessHandler(request.url);
  if (!handler) return fetch(request);
  const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
  const answer = await inject(handler, request.url, {
    method: request.method,
    headers: Object.fromEntries(request.headers),
    body,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
      headers.append(name, one);
  }
  return new Response(answer.text === '' ? null : answer.text, { status: answer.status, headers });
}
