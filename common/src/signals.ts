/** The logger `stopOnSignals` writes to: pino's call shape. */
export interface SignalLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * Runs `stop` once, on the first SIGINT or SIGTERM, then exits: 0 when it resolved, 1 when it failed
 * (logged). Later signals while it runs are ignored. For the processes that serve or sample until told
 * to stop: the server (`server/src/main.ts`, `npm start`) and `metrics-agent`. Returns a function that
 * removes the handlers (for tests, and for a process that hands the signals on to something else).
 */
export function stopOnSignals(
  logger: SignalLogger,
  stop: () => Promise<unknown>,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  let stopping = false;
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        exit(1);
      },
    );
  };
  for (const signal of signals) process.once(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
