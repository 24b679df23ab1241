import type { AlertStore, Clock } from '@metrics-collector/schema/context';
import type { ServerLive } from '../live/index.js';
import type { Logger } from '../logger.js';

export interface AlertingOptions {
  dataDir: string;
  live: ServerLive;
  clock: Clock;
  logger: Logger;
}

export interface Alerting {
  store: AlertStore;
  /** Starts timers (NO_DATA). */
  start(): void;
  stop(): Promise<void>;
}

/** Alert rules, their evaluation on every stored report and on a timer, webhooks. (Stub: filled in by the alerting work.) */
export function createAlerting(_options: AlertingOptions): Alerting {
  return { store: { kind: 'alerts' }, start: () => {}, stop: async () => {} };
}
