import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { AppError } from '@metrics-collector/schema/errors';

export interface CrossSiteOptions {
  /** With auth off, only requests naming a loopback host, `host` or one of `allowedHosts` are served. */
  authEnabled: boolean;
  /** The address the server listens on (`HOST`). */
  host: string;
  /** More host names served with auth off (`ALLOWED_HOSTS`), such as the name a proxy forwards. */
  allowedHosts: readonly string[];
  /** Origins whose pages may call the API (`CORS_ORIGINS`). */
  corsOrigins: readonly string[];
}

const BODY_TYPES = new Set(['application/json', 'application/graphql-response+json']);

/**
 * What keeps web pages the user visits from driving the server:
 *
 * - POST bodies must be JSON (`UNSUPPORTED_MEDIA_TYPE` otherwise), which a page can send to another
 *   origin only after a CORS preflight; `text/plain` and form bodies need none.
 * - A request carrying an `Origin` other than the server's own (the `Host` it was sent to) or one of
 *   `CORS_ORIGINS` is refused (`ORIGIN_NOT_ALLOWED`), whatever its method: that covers `EventSource`
 *   and WebSocket upgrades, which no preflight guards.
 * - With auth off, a request whose `Host` is not loopback or configured is refused (`HOST_NOT_ALLOWED`):
 *   a DNS-rebinding page that made its own name point at 127.0.0.1 sends its own name.
 * - CORS headers go only to `CORS_ORIGINS`, without credentials (tokens travel in `Authorization`).
 */
export class CrossSite {
  /** Host names served with auth off besides loopback names. */
  private readonly hosts: ReadonlySet<string>;
  private readonly origins: ReadonlySet<string>;
  // Clients send the same Host again and again: the last answer is kept.
  private lastHost: string | undefined;
  private lastAllowed = false;

  constructor(private readonly options: CrossSiteOptions) {
    // A wildcard HOST (0.0.0.0, ::) names no host; browsers reach 0.0.0.0 as loopback, so it is no name to serve.
    this.hosts = new Set(
      ['localhost', options.host, ...options.allowedHosts]
        .map((h) => normalHost(h))
        .filter((h) => h && h !== '0.0.0.0' && h !== '::'),
    );
    this.origins = new Set(options.corsOrigins);
  }

  /** Throws unless the request may be served; call before reading its body. */
  check(req: IncomingMessage): void {
    if (!this.hostAllowed(req.headers.host)) {
      throw new AppError(
        'HOST_NOT_ALLOWED',
        `host: ${JSON.stringify((req.headers.host ?? '').slice(0, 100))} is not a name this server answers to while auth is off; use 127.0.0.1 or localhost, or list the name in ALLOWED_HOSTS`,
        { field: 'host' },
      );
    }
    const origin = req.headers.origin;
    if (origin === undefined || this.origins.has(origin) || sameOrigin(origin, req.headers.host)) return;
    throw new AppError(
      'ORIGIN_NOT_ALLOWED',
      `origin: pages from ${JSON.stringify(origin.slice(0, 100))} may not call this server; list the origin in CORS_ORIGINS to allow it`,
      { field: 'origin' },
    );
  }

  /** Throws `UNSUPPORTED_MEDIA_TYPE` unless a POST body is declared JSON. */
  checkBodyType(req: IncomingMessage): void {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (BODY_TYPES.has(type)) return;
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `content-type: ${type ? JSON.stringify(type.slice(0, 100)) : 'missing'}; send the body as application/json`,
      { field: 'content-type' },
    );
  }

  /** Headers that let a listed origin read the answer; none for anyone else. */
  corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (origin === undefined || !this.origins.has(origin)) return {};
    return { 'access-control-allow-origin': origin, vary: 'Origin' };
  }

  /** Answers a CORS preflight (`OPTIONS`) for a listed origin; `check` refused the others already. */
  preflight(req: IncomingMessage, res: ServerResponse): void {
    const headers: Record<string, string> = { allow: 'GET, POST, OPTIONS', 'content-length': '0' };
    if (req.headers.origin !== undefined && this.origins.has(req.headers.origin)) {
      Object.assign(headers, {
        'access-control-allow-origin': req.headers.origin,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type, accept',
        'access-control-max-age': '600',
        vary: 'Origin',
      });
    }
    res.writeHead(204, headers);
    res.end();
  }

  private hostAllowed(header: string | undefined): boolean {
    if (this.options.authEnabled) return true;
    if (!header) return false;
    if (header === this.lastHost) return this.lastAllowed;
    const name = normalHost(hostName(header));
    this.lastHost = header;
    this.lastAllowed = this.hosts.has(name) || isLoopbackAddress(name);
    return this.lastAllowed;
  }
}

/** The host name of a `Host` header, without the port (`[::1]:8888` -> `::1`). */
function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(1, header.indexOf(']'));
  const colon = header.lastIndexOf(':');
  return colon === -1 ? header : header.slice(0, colon);
}

function normalHost(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function isLoopbackAddress(name: string): boolean {
  if (name === 'localhost' || name === '::1') return true;
  return isIP(name) === 4 && name.startsWith('127.');
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}
