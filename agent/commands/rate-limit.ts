// How many commands each machine takes: a token bucket per machine (`rate` per second, `burst`
// at once). Commands for ids that are not this agent's machines share one bucket, so a flood
// across invented machine ids is bounded like any other and cannot grow the table.
import type { Logger } from '../log.ts';
import { E } from '../errors.ts';

interface Bucket {
  tokens: number;
  at: number;
  /** Commands refused since this bucket last had a token (for the recovery log line). */
  refused: number;
  since: number;
}

export const OTHER_MACHINES = '*';

export class CommandRateLimit {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #buckets = new Map<string, Bucket>();
  #refused = 0;

  constructor(machines: Iterable<string>, o: { rate: number; burst: number; now: () => number; log: Logger }) {
    this.#rate = o.rate;
    this.#burst = o.burst;
    this.#now = o.now;
    this.#log = o.log;
    const at = this.#now();
    for (const m of [...machines, OTHER_MACHINES]) this.#buckets.set(m, { tokens: o.burst, at, refused: 0, since: 0 });
  }

  /** Take a token for a command to `machine`; false when its bucket is empty. */
  take(machine: string): boolean {
    const key = this.#buckets.has(machine) ? machine : OTHER_MACHINES;
    const b = this.#buckets.get(key)!;
    const now = this.#now();
    // A clock that steps back refills nothing, rather than draining the bucket.
    b.tokens = Math.min(this.#burst, b.tokens + (Math.max(0, now - b.at) * this.#rate) / 1000);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      if (b.refused > 0) {
        this.#log.info({ machine: key, refused: b.refused, forMs: now - b.since }, 'commands within the rate limit again');
        b.refused = 0;
      }
      return true;
    }
    this.#refused++;
    // Once per episode: a flood must not become a flood of log lines.
    if (b.refused++ === 0) {
      b.since = now;
      this.#log.warn({ code: E.LS_CMD_RATE_LIMITED, machine: key, rate: this.#rate, burst: this.#burst }, 'too many commands for the machine; rejecting them unread until the rate drops');
    }
    return false;
  }

  /** Commands refused over the process's life. */
  get refused(): number {
    return this.#refused;
  }
}
