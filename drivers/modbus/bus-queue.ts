// Request discipline of one Modbus link: a FIFO with a bounded number of requests in flight
// (1 on a half-duplex serial bus or an RTU gateway, up to pipelineDepth on Modbus TCP) and an
// optional quiet time between frames. A job whose owner gave up (its signal aborted) before
// its turn is dropped without being sent, so a dead unit's remaining requests never hold the
// bus for the units behind them.

export class CancelledError extends Error {
  constructor() {
    super('request cancelled before it was sent');
    this.name = 'CancelledError';
  }
}

interface Job<T> {
  run: () => Promise<T>;
  signal: AbortSignal | undefined;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

export class BusQueue {
  #depth: number;
  #gapMs: number;
  #active = 0;
  #waiting: Job<unknown>[] = [];

  constructor(opts: { depth: number; interFrameDelayMs: number }) {
    this.#depth = Math.max(1, opts.depth);
    this.#gapMs = opts.interFrameDelayMs;
  }

  get pending(): number {
    return this.#waiting.length + this.#active;
  }

  run<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ run, signal, resolve, reject } as Job<unknown>);
      this.#pump();
    });
  }

  /** Reject everything not yet sent (the link went down). */
  clear(err: Error): void {
    const dropped = this.#waiting;
    this.#waiting = [];
    for (const job of dropped) job.reject(err);
  }

  #pump(): void {
    while (this.#active < this.#depth && this.#waiting.length) {
      const job = this.#waiting.shift()!;
      if (job.signal?.aborted) {
        job.reject(new CancelledError());
        continue;
      }
      this.#active++;
      void job
        .run()
        .then(job.resolve, job.reject)
        .then(() => (this.#gapMs > 0 ? new Promise((r) => setTimeout(r, this.#gapMs)) : undefined))
        .then(() => {
          this.#active--;
          this.#pump();
        });
    }
  }
}
