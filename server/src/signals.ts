/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits: 0 when it resolved, 1 when it failed
 * (logged). For the processes that serve: `main.ts` and `npm start` (scripts/start.ts).
 */
export function stopOnSignals(
  logger: { info(fields: object, message: string): void; error(fields: object, message: string): void },
  stop: () => Promise<void>,
): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'stop failed');
          process.exit(1);
        },
      );
    });
  }
}
