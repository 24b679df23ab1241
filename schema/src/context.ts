import type { AlertStore } from './alerts/types.js';
import type { Principal } from './auth.js';
import type { StateStore } from './clients/types.js';
import type { Clock } from './clock.js';
import type { CommandStore } from './commands/types.js';
import type { Limits } from './limits.js';
import type { Live } from './live/types.js';
import type { MetricStore } from './metrics/types.js';

/**
 * Everything a resolver or REST shim needs, built by the server per request: each domain's store, the live
 * events, the clock, the caller and the limits.
 */
export interface Context {
  metrics: MetricStore;
  state: StateStore;
  live: Live;
  alerts: AlertStore;
  commands: CommandStore;
  clock: Clock;
  principal: Principal;
  limits: Limits;
  /** Hears each report's outcome (the server counts them per transport on `/metrics`); optional. */
  reports?: ReportObserver;
}

/** How a request reached the server. */
export type Transport = 'rest' | 'graphql-http' | 'graphql-ws';

/** The outcome of each report: stored, or refused with an error code (and the points it held, if known). */
export interface ReportObserver {
  stored(points: number): void;
  refused(code: string | undefined, points: number): void;
}
