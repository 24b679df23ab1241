import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { Live, LiveTopics, ReportedWindow } from '@metrics-collector/schema/live/types';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { type BoundedPubSub, createBoundedPubSub } from './bounded-pubsub.js';

export interface LiveOptions {
  /** With a Redis URL, events go through Redis, so that every replica's subscribers see every event. */
  redisUrl?: string | null;
  /** Events a subscription may fall behind before it is ended (its socket closed with 4008). @default 256 */
  maxPendingEvents?: number;
  logger: Logger;
}

export interface ServerLive extends Live {
  /** The pubsub, with `listen` for the server's own followers (no queue, never ended as slow). */
  pubsub: BoundedPubSub<LiveTopics>;
  /** Adds what runs for every report this server stored (client status, alert rules), in order. */
  onReport(listener: (window: ReportedWindow) => void): void;
  /**
   * Called by the commands module when a client's `agentCommands` subscription on this server closes: the
   * client status tracker marks it OFFLINE (see docs/live.md).
   */
  commandStreamClosed(clientId: string): void;
  /** Adds what runs when a client's command stream on this server closes. */
  onCommandStreamClosed(listener: (clientId: string) => void): void;
  /** The Redis connections, when there are any (the alert lease uses the publishing one). */
  redis: Redis | null;
  close(): Promise<void>;
}

/**
 * The pubsub that subscriptions read, in memory or through Redis (`REDIS_URL`), and the fan-out of a
 * stored report: published for subscribers everywhere, handed to this server's listeners only.
 */
export function createLive(options: LiveOptions): ServerLive {
  let publishClient: Redis | null = null;
  let subscribeClient: Redis | null = null;
  if (options.redisUrl) {
    const redisOptions = { lazyConnect: false, maxRetriesPerRequest: 1 };
    publishClient = new Redis(options.redisUrl, redisOptions);
    subscribeClient = new Redis(options.redisUrl, redisOptions);
    for (const client of [publishClient, subscribeClient]) {
      client.on('error', (error: unknown) => options.logger.warn({ err: error }, 'redis'));
    }
  }
  const pubsub = createBoundedPubSub<LiveTopics>({
    eventTarget:
      publishClient && subscribeClient
        ? (createRedisEventTarget({ publishClient, subscribeClient }) as unknown as EventTarget)
        : undefined,
    maxPending: options.maxPendingEvents ?? 256,
    onSlowConsumer: (topic, pending) =>
      options.logger.warn({ topic, pending }, 'subscriber too slow: ending its subscription'),
  });
  const listeners: ((window: ReportedWindow) => void)[] = [];
  const streamClosedListeners: ((clientId: string) => void)[] = [];
  return {
    pubsub,
    redis: publishClient,
    reported: (window) => {
      pubsub.publish('metricReported', window);
      for (const listener of listeners) {
        try {
          listener(window);
        } catch (error) {
          // The report is stored and acknowledged; a listener's failure must not change that.
          options.logger.error({ err: error, clientId: window.clientId }, 'report listener failed');
        }
      }
    },
    onReport: (listener) => {
      listeners.push(listener);
    },
    commandStreamClosed: (clientId) => {
      for (const listener of streamClosedListeners) {
        try {
          listener(clientId);
        } catch (error) {
          options.logger.error({ err: error, clientId }, 'command stream listener failed');
        }
      }
    },
    onCommandStreamClosed: (listener) => {
      streamClosedListeners.push(listener);
    },
    close: async () => {
      await Promise.all([publishClient?.quit(), subscribeClient?.quit()].map((p) => p?.catch(() => {})));
    },
  };
}
