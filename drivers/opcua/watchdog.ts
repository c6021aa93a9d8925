// Detects a subscription that has gone silent. A healthy subscription delivers either data or a
// keep-alive at least every publishingInterval × keepAliveCount; if neither arrives for several
// of those periods the server has dropped it (or the publish loop is stuck) without telling us.

/** How long a subscription may stay silent before it is rebuilt (ms). */
export function silenceLimit(publishingInterval: number, keepAliveCount: number): number {
  return Math.max(2000, 3 * publishingInterval * keepAliveCount);
}

export class SilenceWatchdog {
  readonly limitMs: number;
  #now: () => number;
  #last: number;

  constructor(limitMs: number, now: () => number) {
    this.limitMs = limitMs;
    this.#now = now;
    this.#last = now();
  }

  /** Call on every data notification and keep-alive. */
  touch(): void {
    this.#last = this.#now();
  }

  get silentForMs(): number {
    return this.#now() - this.#last;
  }

  isSilent(): boolean {
    return this.silentForMs > this.limitMs;
  }
}
