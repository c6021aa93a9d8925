// Login rate limiting per remote address and per user name. Failures past a few free ones make
// the next attempt wait, doubling up to a minute: a guesser gets a handful of tries a minute,
// while nobody can lock a user out for longer than that from elsewhere. A success clears the
// address and the name; entries forget themselves after a quiet quarter hour.
export interface LoginLimitOptions {
  free?: number;
  maxDelayMs?: number;
  forgetMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry { failures: number; until: number; last: number }

export class LoginLimit {
  #o: Required<LoginLimitOptions>;
  #entries = new Map<string, Entry>();

  constructor(o: LoginLimitOptions = {}) {
    this.#o = { free: 5, maxDelayMs: 60_000, forgetMs: 15 * 60_000, maxEntries: 10_000, now: Date.now, ...o };
  }

  /** Milliseconds to wait before any of these keys may try again (0: go ahead). */
  wait(keys: readonly string[]): number {
    const now = this.#o.now();
    let wait = 0;
    for (const k of keys) {
      const e = this.#entries.get(k);
      if (!e) continue;
      if (now - e.last > this.#o.forgetMs) this.#entries.delete(k);
      else wait = Math.max(wait, e.until - now);
    }
    return wait;
  }

  fail(keys: readonly string[]): void {
    const now = this.#o.now();
    for (const k of keys) {
      const e = this.#entries.get(k) ?? { failures: 0, until: 0, last: now };
      e.failures++;
      e.last = now;
      const over = e.failures - this.#o.free;
      e.until = over > 0 ? now + Math.min(this.#o.maxDelayMs, 1000 * 2 ** (over - 1)) : 0;
      this.#entries.delete(k);
      this.#entries.set(k, e);
    }
    // Bounded: a flood of made-up user names drops the oldest entries, never grows the heap.
    while (this.#entries.size > this.#o.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  succeed(keys: readonly string[]): void {
    for (const k of keys) this.#entries.delete(k);
  }
}
