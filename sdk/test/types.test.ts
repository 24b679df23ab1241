import { describe, expectTypeOf, it } from 'vitest';
import type {
  AgentCommandStatus,
  Client,
  Metric,
  MetricHistoryQueryVariables,
  ReportMetricsInput,
  SdkErrorKind,
} from '../src/index.js';

type Result<K extends keyof Client> = Client[K] extends (...args: never[]) => Promise<infer R> ? R : never;
type Events<K extends keyof Client['subscriptions']> = Client['subscriptions'][K] extends (
  ...args: never[]
) => AsyncIterableIterator<infer R>
  ? R
  : never;

// Checked by `npm run typecheck` (tsconfig includes the tests): a result type that drifts from the schema
// or the operations fails it. The runtime part only keeps vitest from calling the file empty.
describe('result and input types follow the schema', () => {
  it('history', () => {
    expectTypeOf<Result<'metricHistory'>['points']>().toEqualTypeOf<
      Array<{
        time: string;
        value: number | null;
        count: number;
        mean: number | null;
        variance: number | null;
        min: number | null;
        max: number | null;
      }>
    >();
    expectTypeOf<Result<'metricHistory'>['resample']>().toEqualTypeOf<string>();
    expectTypeOf<MetricHistoryQueryVariables['from']>().toEqualTypeOf<
      string | Date | number | null | undefined
    >();
    expectTypeOf<Parameters<Client['metricHistory']>[0]['metric']>().toEqualTypeOf<Metric>();
    expectTypeOf<'CPU_UTILIZATION'>().toExtend<Metric>();
    expectTypeOf<'NOPE'>().not.toExtend<Metric>();
  });

  it('reports, clients and fleet', () => {
    expectTypeOf<Parameters<Client['reportMetrics']>[0]>().toEqualTypeOf<ReportMetricsInput>();
    expectTypeOf<Result<'reportMetrics'>>().toEqualTypeOf<{
      clientId: string;
      windowStart: string;
      windowEnd: string;
      points: number;
    }>();
    expectTypeOf<Result<'client'>>().toEqualTypeOf<{
      id: string;
      hostname: string | null;
      osType: string | null;
      osVersion: string | null;
      coreCount: number | null;
      firstSeen: string;
      lastSeen: string;
    } | null>();
    expectTypeOf<Result<'clients'>[number]>().toEqualTypeOf<NonNullable<Result<'client'>>>();
    expectTypeOf<Result<'fleetSummary'>[number]['client']>().toEqualTypeOf<Result<'client'>>();
    expectTypeOf<Result<'fleetSummary'>[number]['value']>().toEqualTypeOf<number>();
  });

  it('alerts and commands', () => {
    expectTypeOf<Result<'alertRule'>>().toEqualTypeOf<Result<'createAlertRule'> | null>();
    expectTypeOf<Result<'createAlertRule'>['states'][number]['since']>().toEqualTypeOf<string>();
    expectTypeOf<Result<'alerts'>[number]>().toEqualTypeOf<Events<'alertEvents'>>();
    expectTypeOf<Result<'agentCommands'>[number]>().toEqualTypeOf<Events<'agentCommands'>>();
    expectTypeOf<Result<'sendAgentCommand'>['status']>().toEqualTypeOf<AgentCommandStatus>();
    expectTypeOf<Result<'acknowledgeAgentCommand'>['message']>().toEqualTypeOf<string | null>();
  });

  it('subscriptions and the generic request', () => {
    expectTypeOf<Events<'metricReported'>['stats'][number]['core']>().toEqualTypeOf<number | null>();
    expectTypeOf<Events<'clientStatusChanged'>['status']>().toEqualTypeOf<'OFFLINE' | 'ONLINE' | 'STALE'>();
    expectTypeOf<SdkErrorKind>().toEqualTypeOf<'network' | 'http' | 'graphql'>();
  });
});
