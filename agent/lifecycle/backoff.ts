// Exponential back-off with full jitter, so fifty agents do not reconnect in lockstep.
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Random source in [0,1); injectable for tests. */
  random?: () => number;
}

export class Backoff {
  #attempt = 0;
  #opts: Required<BackoffOptions>;
  constructor(opts: BackoffOptions) {
    this.#opts = { random: Math.random, ...opts };
  }
  /** Delay before the next attempt: between half and all of min·2^n, capped at max. */
  next(): number {
    const { minMs, maxMs, random } = this.#opts;
    const ceiling = Math.min(maxMs, minMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }
  reset(): void {
    this.#attempt = 0;
  }
  get attempts(): number {
    return this.#attempt;
  }
}

/** A sleep that an AbortSignal cuts short (resolves false when aborted). */
export function delay(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
