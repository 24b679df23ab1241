import type { Clock } from '@metrics-collector/schema/context';
import type { Logger } from '../logger.js';
import type { ServerLive } from './index.js';

export interface StatusTrackerOptions {
  live: ServerLive;
  clock: Clock;
  logger: Logger;
}

export interface StatusTracker {
  start(): void;
  stop(): Promise<void>;
}

/** Client liveness: ONLINE on report, STALE, OFFLINE; published on `clientStatusChanged`. (Stub.) */
export function createStatusTracker(_options: StatusTrackerOptions): StatusTracker {
  return { start: () => {}, stop: async () => {} };
}
