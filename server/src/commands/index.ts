import type { Clock, CommandStore } from '@metrics-collector/schema/context';
import type { ServerLive } from '../live/index.js';
import type { Logger } from '../logger.js';

export interface CommandsOptions {
  dataDir: string;
  live: ServerLive;
  clock: Clock;
  logger: Logger;
}

export interface Commands {
  store: CommandStore;
  start(): void;
  stop(): Promise<void>;
}

/** The command queue to agents. (Stub: filled in by the commands work.) */
export function createCommands(_options: CommandsOptions): Commands {
  return { store: { kind: 'commands' }, start: () => {}, stop: async () => {} };
}
