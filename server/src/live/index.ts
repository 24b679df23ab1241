import { createRequire } from 'node:module';
import type { Live, LiveTopics, ReportedWindow } from '@metrics-collector/schema/live/types';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { type BoundedPubSub, createBoundedPubSub } from './bounded-pubsub.js';
import { CommandStreams } from './command-streams.js';

const require = createRequire(import.meta.url);

export interface LiveOptions {
  /** With a Redis URL, events go through Redis, so that every replica's subscribers see every event. */
  redisUrl?: string | null;
  /** Events a subscription may fall behind before it is ended (its socket closed with 4008). @default 256 */
  maxPendingEvents?: number;
  logger: Logger;
}

/**
 * The pubsub that subscriptions read, in memory or through Redis (`REDIS_URL`), the fan-out of a stored
 * report (published for subscribers everywhere, handed to this server's listeners only), and the
 * `agentCommands` streams open on this server.
 */
export class ServerLive implements Live {
  /** The pubsub, with `listen` for the server's own followers (no queue, never ended as slow). */
  readonly pubsub: BoundedPubSub<LiveTopics>;
  /** The Redis connection that publishes, when there is one (the alert lease uses it too). */
  readonly redis: Redis | null;
  readonly #subscribeClient: Redis | null;
  readonly #logger: Logger;
  readonly #listeners: ((window: ReportedWindow) => void)[] = [];
  readonly #commandStreams: CommandStreams;

  constructor(options: LiveOptions) {
    this.#logger = options.logger;
    let publishClient: Redis | null = null;
    let subscribeClient: Redis | null = null;
    if (options.redisUrl) {
      // Loaded only with REDIS_URL: at every start they cost `npm start` tens of milliseconds.
      const { Redis } = require('ioredis') as typeof import('ioredis');
      const redisOptions = { lazyConnect: false, maxRetriesPerRequest: 1 };
      publishClient = new Redis(options.redisUrl, redisOptions);
      subscribeClient = new Redis(options.redisUrl, redisOptions);
      for (const client of [publishClient, subscribeClient]) {
        client.on('error', (error: unknown) => options.logger.warn({ err: error }, 'redis'));
      }
    }
    this.redis = publishClient;
    this.#subscribeClient = subscribeClient;
    this.pubsub = createBoundedPubSub<LiveTopics>({
      eventTarget:
        publishClient && subscribeClient
          ? ((
              require('@graphql-yoga/redis-event-target') as typeof import('@graphql-yoga/redis-event-target')
            ).createRedisEventTarget({ publishClient, subscribeClient }) as unknown as EventTarget)
          : undefined,
      maxPending: options.maxPendingEvents ?? 256,
      onSlowConsumer: (topic, pending) =>
        options.logger.warn({ topic, pending }, 'subscriber too slow: ending its subscription'),
    });
    this.#commandStreams = new CommandStreams(options.logger);
  }

  reported(window: ReportedWindow): void {
    this.pubsub.publish('metricReported', window);
    for (const listener of this.#listeners) {
      try {
        listener(window);
      } catch (error) {
        // The report is stored and acknowledged; a listener's failure must not change that.
        this.#logger.error({ err: error, clientId: window.clientId }, 'report listener failed');
      }
    }
  }

  /** Adds what runs for every report this server stored (client status, alert rules), in order. */
  onReport(listener: (window: ReportedWindow) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Registers an open `agentCommands` subscription of the client on this server; call the returned
   * function when it ends. When the client's last one ends, `onCommandStreamClosed` listeners are told.
   */
  openCommandStream(clientId: string): () => void {
    return this.#commandStreams.open(clientId);
  }

  /** Adds what runs when a client's last command stream on this server closes. */
  onCommandStreamClosed(listener: (clientId: string) => void): void {
    this.#commandStreams.onLastClosed(listener);
  }

  async close(): Promise<void> {
    this.#commandStreams.close();
    await Promise.all([this.redis?.quit(), this.#subscribeClient?.quit()].map((p) => p?.catch(() => {})));
  }
}

/** The live layer: in memory, or through Redis with `redisUrl`. */
export function createLive(options: LiveOptions): ServerLive {
  return new ServerLive(options);
}
