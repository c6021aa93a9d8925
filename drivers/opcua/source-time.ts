// Which time a reading carries. OPC UA stamps every value with its SourceTimestamp (when it last
// changed), which is when the fact happened, but only as right as the PLC's clock. Every response
// header carries the server's clock as well, so each response measures how far that clock is from
// the agent's: within maxClockSkew source timestamps are used, beyond it the receive time is, and
// the far-off clock is logged once when it starts and once when it ends (the Incident pattern).
// An old SourceTimestamp alone says nothing about the clock: it is a value that has not changed.
import type { Logger } from 'pino';
import type { Reading } from '../driver.ts';

export interface SourceClockOptions {
  maxSkewMs: number;
  /** False: always the receive time (`timestamps: receive`), whatever the clocks say. */
  useSource?: boolean;
  log: Logger;
  /** The agent's clock, the one readings are received by. */
  now: () => number;
}

/** How far inside maxClockSkew the clock must come back before it counts as right again. */
const RECOVERY_MARGIN_MS = 1000;

function human(ms: number): string {
  const a = Math.abs(ms);
  if (a >= 5_400_000) return `${(a / 3_600_000).toFixed(1)} h`;
  if (a >= 90_000) return `${Math.round(a / 60_000)} min`;
  return `${Math.round(a / 1000)} s`;
}

export class SourceClock {
  #o: SourceClockOptions;
  #offsetMs: number | undefined;
  #farSince: number | undefined;
  #last = new Map<string, number>();

  constructor(o: SourceClockOptions) {
    this.#o = o;
  }

  /** The server's clock minus the agent's (ms) at the last response; positive when the server is ahead. */
  get offsetMs(): number | undefined {
    return this.#offsetMs;
  }

  /** False while the server's clock is more than maxClockSkew off: readings take the receive time. */
  get trusted(): boolean {
    return this.#farSince === undefined;
  }

  /** A response the server stamped `serverTime` has just arrived. */
  observe(serverTime: Date | null | undefined): void {
    // A server that leaves the header timestamp empty tells nothing about its clock; with
    // `timestamps: receive` its clock does not matter.
    if (this.#o.useSource === false || !(serverTime instanceof Date) || !(serverTime.getTime() > 0)) return;
    const at = this.#o.now();
    const offset = serverTime.getTime() - at;
    this.#offsetMs = offset;
    const { maxSkewMs, log } = this.#o;
    const fields = { offsetMs: offset, maxClockSkewMs: maxSkewMs };
    if (this.#farSince === undefined) {
      if (Math.abs(offset) <= maxSkewMs) return;
      this.#farSince = at;
      log.warn(fields, `OPC UA server clock is ${human(offset)} ${offset > 0 ? 'ahead of' : 'behind'} the agent's, more than maxClockSkew; readings take the agent's receive time until it is set right (set the PLC's clock or NTP)`);
      return;
    }
    // A margin, so a clock hovering at the limit does not log on every response.
    if (Math.abs(offset) > maxSkewMs - Math.min(RECOVERY_MARGIN_MS, maxSkewMs / 2)) return;
    log.info({ ...fields, forMs: at - this.#farSince }, 'OPC UA server clock is within maxClockSkew again; readings take source timestamps again');
    this.#farSince = undefined;
  }

  /**
   * Sets each reading's `ts` (it arrives holding the receive time): the source timestamp when the
   * clock is right, but never later than receipt (a slightly fast PLC must not date facts in the
   * future) and never earlier than the tag's previous reading (consumers expect a tag's readings
   * in order, also when the PLC's clock is stepped back). Mutates and returns `readings`.
   */
  stamp(readings: Reading[]): Reading[] {
    const trusted = this.trusted && this.#o.useSource !== false;
    for (const r of readings) {
      let ts = trusted && r.sourceTs !== undefined ? Math.min(r.sourceTs, r.ts) : r.ts;
      const previous = this.#last.get(r.tag);
      if (previous !== undefined && ts < previous) ts = previous;
      this.#last.set(r.tag, ts);
      r.ts = ts;
    }
    return readings;
  }
}
