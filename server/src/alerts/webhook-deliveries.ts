import { backoffDelay, sleep } from '@metrics-collector/common/backoff';
import type { AlertEvent } from '@metrics-collector/schema/alerts/types';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../telemetry/server-metrics.js';
import { PrivateAddressError, sendWebhook } from './webhook.js';

export interface WebhookDeliveriesOptions {
  logger: Logger;
  /** Delay before the first retry, doubled for each further one, ms. */
  retryDelay: number;
  /** Attempts per delivery, the first included. */
  attempts: number;
  /** How long one attempt may take, ms. */
  timeout: number;
  /** Lets webhooks reach loopback, private and other non-public addresses. */
  allowPrivate: boolean;
  /** Deliveries waiting per URL before new ones are dropped (and logged). */
  maxQueued: number;
  /** Counts attempts and failures for `/metrics`. */
  telemetry?: ServerMetrics | undefined;
}

/**
 * Alert transitions POSTed to their rules' webhooks in the background: in order per URL, each retried
 * with backoff on a network error, a 5xx, 408 or 429, and given up on any other answer, a private address
 * or after `attempts`. `stop` aborts the attempts under way and waits for every queue to end.
 */
export class WebhookDeliveries {
  readonly #options: WebhookDeliveriesOptions;
  readonly #stopping = new AbortController();
  #stopped = false;
  /** Per webhook URL: the tail of its delivery chain (deliveries to one URL go in order) and its length. */
  readonly #queues = new Map<string, { tail: Promise<void>; length: number }>();

  constructor(options: WebhookDeliveriesOptions) {
    this.#options = options;
  }

  /** Queues `event` for `url`, behind the deliveries to that URL still waiting. */
  enqueue(url: string, event: AlertEvent): void {
    const queue = this.#queues.get(url) ?? { tail: Promise.resolve(), length: 0 };
    if (queue.length >= this.#options.maxQueued) {
      this.#options.logger.error(
        { url, ruleId: event.ruleId, eventId: event.id },
        'webhook queue full: event dropped',
      );
      return;
    }
    queue.length += 1;
    queue.tail = queue.tail
      .then(() => this.#post(url, event))
      .finally(() => {
        queue.length -= 1;
        if (queue.length === 0) this.#queues.delete(url);
      });
    this.#queues.set(url, queue);
  }

  /** Gives up waiting deliveries and aborts those under way; resolves once every queue ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort();
    await Promise.all([...this.#queues.values()].map((q) => q.tail));
  }

  async #post(url: string, event: AlertEvent): Promise<void> {
    const { logger, attempts, retryDelay } = this.#options;
    const body = JSON.stringify({ ...event, at: new Date(event.at).toISOString() });
    for (let attempt = 1; !this.#stopped; attempt += 1) {
      let problem: unknown;
      let final = attempt >= attempts;
      this.#options.telemetry?.webhookAttempts.inc();
      try {
        const status = await sendWebhook(url, body, {
          allowPrivate: this.#options.allowPrivate,
          signal: AbortSignal.any([this.#stopping.signal, AbortSignal.timeout(this.#options.timeout)]),
        });
        if (status >= 200 && status < 300) return;
        // A redirect is not followed: it could lead to an address the check did not see.
        problem = status >= 300 && status < 400 ? `HTTP ${status}: redirect not followed` : `HTTP ${status}`;
        // Redirects and other 4xx answers will not change on retry.
        if (status < 500 && status !== 429 && status !== 408) final = true;
      } catch (error) {
        if (this.#stopped) break;
        if (error instanceof PrivateAddressError) {
          this.#options.telemetry?.webhookGaveUp.inc();
          logger.error(
            { url, ruleId: event.ruleId, eventId: event.id, address: error.address },
            'webhook refused: private address',
          );
          return;
        }
        problem = error;
      }
      const failures = this.#options.telemetry;
      (final ? failures?.webhookGaveUp : failures?.webhookRetried)?.inc();
      const log = { url, ruleId: event.ruleId, eventId: event.id, attempt, err: problem };
      if (final) {
        logger.error(log, 'webhook failed: giving up');
        return;
      }
      logger.warn(log, 'webhook failed: retrying');
      // Exactly 1 s, 2 s, 4 s… by default, as docs/alerts.md says; `stop` ends the wait (and the loop).
      await sleep(
        backoffDelay(attempt, { minMs: retryDelay, maxMs: Number.POSITIVE_INFINITY, jitter: 0 }),
        this.#stopping.signal,
      );
    }
    logger.warn({ url, ruleId: event.ruleId, eventId: event.id }, 'webhook not delivered: server stopping');
  }
}
