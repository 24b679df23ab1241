import { Worker } from 'node:worker_threads';
import { threadScript } from './thread-entry.js';

/**
 * The main thread's side of one of the store's worker threads: requests paired with their answers by
 * `id`. The thread starts with the first request and keeps the process alive only while answers are
 * awaited. A thread that fails or exits fails every request it held, and the next request starts it again
 * (`onStart` runs on each start).
 */
export class ThreadClient<Request extends object, Answer extends { id: number }> {
  readonly #name: 'read-thread' | 'write-thread';
  readonly #workerData: unknown;
  readonly #onStart: () => void;
  readonly #waiting = new Map<
    number,
    { resolve: (answer: Answer) => void; reject: (error: Error) => void }
  >();
  #nextId = 0;
  #worker: Worker | null = null;

  constructor(name: 'read-thread' | 'write-thread', workerData: unknown, onStart: () => void = () => {}) {
    this.#name = name;
    this.#workerData = workerData;
    this.#onStart = onStart;
  }

  /** Requests sent and not answered yet. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Whether the thread runs now. */
  get running(): boolean {
    return this.#worker !== null;
  }

  /** Starts the thread unless it runs. */
  start(): Worker {
    this.#worker ??= this.#spawn();
    return this.#worker;
  }

  request(message: Request, transfer: ArrayBuffer[] = []): Promise<Answer> {
    const worker = this.start();
    worker.ref();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Fails what is still awaited with `error` and stops the thread. */
  async stop(error: Error): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    this.#failAll(error);
    await worker?.terminate();
  }

  #spawn(): Worker {
    const worker = new Worker(threadScript(this.#name), { workerData: this.#workerData });
    this.#onStart();
    worker.unref();
    worker.on('message', (answer: Answer) => {
      const waiting = this.#waiting.get(answer.id);
      if (!waiting) return;
      this.#waiting.delete(answer.id);
      if (this.#waiting.size === 0) worker.unref();
      waiting.resolve(answer);
    });
    worker.on('error', (error) => this.#failAll(error));
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = null;
      this.#failAll(new Error(`the ${this.#name.replace('-', ' ')} stopped (exit code ${code})`));
    });
    return worker;
  }

  #failAll(error: Error): void {
    for (const { reject } of this.#waiting.values()) reject(error);
    this.#waiting.clear();
  }
}
