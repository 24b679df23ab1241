import { requireScope } from '../auth.js';
import type { Context } from '../context.js';
import type { ClientStatusEvent, ReportedWindow } from './types.js';

/** Every report as it is stored; only those of `clientId` unless it is `null` (scope `read`). */
export function subscribeMetricReported(
  ctx: Context,
  clientId: string | null,
): AsyncIterable<ReportedWindow> {
  requireScope(ctx, 'read');
  return filter(
    ctx.live.pubsub.subscribe('metricReported'),
    (r) => clientId === null || r.clientId === clientId,
  );
}

/** Every change of a client status; only those of `clientId` unless it is `null` (scope `read`). */
export function subscribeClientStatusChanged(
  ctx: Context,
  clientId: string | null,
): AsyncIterable<ClientStatusEvent> {
  requireScope(ctx, 'read');
  return filter(
    ctx.live.pubsub.subscribe('clientStatusChanged'),
    (e) => clientId === null || e.clientId === clientId,
  );
}

/** Only the items of `source` that pass `keep`; closing the result closes the source. */
export async function* filter<T>(source: AsyncIterable<T>, keep: (item: T) => boolean): AsyncGenerator<T> {
  for await (const item of source) if (keep(item)) yield item;
}
