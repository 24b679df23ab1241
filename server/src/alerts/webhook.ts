import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPublicAddress, isPublicHostname } from '@metrics-collector/schema/network';

/** Resolves a host name to every address it has (as `dns.lookup` with `all: true`). */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

const resolveWithDns: ResolveHost = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/** A webhook was not sent: its host is, or resolved to, an address that is not public. */
export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(
      `${hostname}${address === hostname ? '' : ` (${address})`} is not a public address; set WEBHOOK_ALLOW_PRIVATE=true to allow it`,
    );
    this.name = 'PrivateAddressError';
  }
}

export interface SendWebhookOptions {
  /** Aborts the request (the caller's timeout and shutdown). */
  signal: AbortSignal;
  /** Lets the request reach loopback, private and other non-public addresses. @default false */
  allowPrivate?: boolean;
  /** How host names are resolved; tests pass a stub. @default dns.lookup */
  lookup?: ResolveHost;
}

/**
 * A `lookup` for `net.connect` that resolves with `resolve` and fails with `PrivateAddressError` unless
 * every address the name has is public (or `allowPrivate`): a connection goes only to checked addresses,
 * whatever the name resolved to when the rule was saved.
 */
export function guardedLookup(resolve: ResolveHost, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const addresses = family === 4 || family === 6 ? found.filter((a) => a.family === family) : found;
        const first = addresses[0];
        if (!first) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
            code: 'ENOTFOUND',
            hostname,
          });
          callback(error, '', 0);
          return;
        }
        // Net may try each address (happy eyeballs), so each must pass.
        const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
        if (refused) callback(new PrivateAddressError(hostname, refused.address), '', 0);
        else if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/**
 * POSTs `body` (JSON) to `url` once and resolves with the HTTP status, without following redirects (a 3xx
 * is returned as it is). Unless `allowPrivate`, refuses with `PrivateAddressError`, before connecting, an
 * IP literal or `localhost` host that is not public, and a name that resolves to any non-public address.
 * Rejects with the network error otherwise; the response body is discarded.
 */
export function sendWebhook(url: string, body: string, options: SendWebhookOptions): Promise<number> {
  const allowPrivate = options.allowPrivate ?? false;
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    // Node connects to an IP literal without calling `lookup`: it is checked here.
    if (!allowPrivate && !isPublicHostname(target.hostname)) {
      throw new PrivateAddressError(target.hostname, target.hostname);
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'metrics-collector',
        },
        // No pooled socket: every delivery connects, and so resolves and checks, anew.
        agent: false,
        lookup: guardedLookup(options.lookup ?? resolveWithDns, allowPrivate),
        signal: options.signal,
      },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
