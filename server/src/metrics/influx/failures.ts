import { HttpError } from '@influxdata/influxdb-client';
import type { StoreOutcome } from '../../store-errors.js';

/*
 * What an InfluxDB failure means: whether the points themselves were refused, whether a database went
 * missing, and what a failed write may have left behind.
 */

/**
 * InfluxDB refused the points themselves (400 bad or partial write, 413, 422): retrying the same lines
 * cannot help. Authentication, a missing bucket, 429 and 5xx are the server's state, and retryable.
 */
export function isRejection(error: unknown): error is HttpError {
  return error instanceof HttpError && [400, 413, 422].includes(error.statusCode);
}

export function isMissingDatabase(error: unknown): boolean {
  return (
    error instanceof HttpError && error.statusCode === 404 && /database not found/i.test(influxMessage(error))
  );
}

/** InfluxDB's own words for an HTTP failure. */
export function influxMessage(error: HttpError): string {
  const json = error.json as { error?: unknown; message?: unknown } | undefined;
  const message = json?.error ?? json?.message ?? error.body ?? error.message;
  return String(message).trim();
}

/** Error codes of a connection that never carried the request: nothing reached InfluxDB. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * What one failed write request left behind: an answer below 500 (a refusal, a throttle) stored
 * nothing, nor did a connection that was never made; a timeout, a 5xx or a connection lost midway may
 * have stored some or all of the points.
 */
export function writeOutcome(error: unknown): StoreOutcome {
  if (error instanceof HttpError) return error.statusCode < 500 ? 'NOT_STORED' : 'UNKNOWN';
  const code =
    (error as { code?: unknown }).code ?? ((error as { cause?: { code?: unknown } }).cause?.code as unknown);
  return typeof code === 'string' && NOT_SENT.has(code) ? 'NOT_STORED' : 'UNKNOWN';
}
