import type { AgentCommand, Connection } from '../src/connection.js';
import type { ReportWindow } from '../src/report.js';

/** A connection that records reports and acknowledgements and hands out commands pushed by the test. */
export function fakeConnection(options: { down?: boolean } = {}) {
  const reports: ReportWindow[] = [];
  const acks: { id: string; status: string; message?: string | undefined }[] = [];
  const queue: AgentCommand[] = [];
  let wake: (() => void) | null = null;
  let down = options.down ?? false;
  const connection: Connection = {
    viaWebSocket: true,
    report: async (report) => {
      if (down) throw new Error('connection refused');
      reports.push(report);
      return 'ws';
    },
    commands: () =>
      (async function* () {
        while (true) {
          while (queue.length === 0) await new Promise<void>((r) => (wake = r));
          yield queue.shift() as AgentCommand;
        }
      })(),
    acknowledge: async (id, status, message) => {
      acks.push({ id, status, message });
    },
    close: async () => {},
  };
  return {
    connection,
    reports,
    acks,
    setDown: (value: boolean) => {
      down = value;
    },
    push: (command: Omit<AgentCommand, 'status' | 'expiresAt'>) => {
      queue.push({ status: 'PENDING', expiresAt: new Date(Date.now() + 60_000).toISOString(), ...command });
      wake?.();
    },
  };
}
