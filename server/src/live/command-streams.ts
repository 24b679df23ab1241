import type { Logger } from '../logger.js';

/**
 * The `agentCommands` subscriptions open on this server, counted per client. When a client's last one
 * ends, the listeners hear of it (the client status tracker marks the client OFFLINE; see docs/live.md).
 */
export class CommandStreams {
  readonly #logger: Logger;
  readonly #open = new Map<string, number>();
  readonly #listeners: ((clientId: string) => void)[] = [];
  #closed = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Registers an open stream of the client; call the returned function (once or more) when it ends. */
  open(clientId: string): () => void {
    this.#open.set(clientId, (this.#open.get(clientId) ?? 0) + 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      const left = (this.#open.get(clientId) ?? 1) - 1;
      if (left > 0) {
        this.#open.set(clientId, left);
        return;
      }
      this.#open.delete(clientId);
      if (!this.#closed) this.#lastClosed(clientId);
    };
  }

  /** Adds what runs when a client's last command stream on this server closes. */
  onLastClosed(listener: (clientId: string) => void): void {
    this.#listeners.push(listener);
  }

  /** The server is stopping: streams closing from now on are not told. */
  close(): void {
    this.#closed = true;
  }

  #lastClosed(clientId: string): void {
    for (const listener of this.#listeners) {
      try {
        listener(clientId);
      } catch (error) {
        this.#logger.error({ err: error, clientId }, 'command stream listener failed');
      }
    }
  }
}
