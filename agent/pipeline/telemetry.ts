// Raw tag values forwarded as telemetry: a tag is published when it changed and its last
// publication is at least `interval` old, and republished once per `interval` when it did not
// change (so a quiet value still shows it is alive). Changes within the interval are folded:
// the latest value goes out when the interval is up. A change of quality is never folded: a tag
// turning bad (a lost link) or good again goes out with the reading that shows it.
import type { Quality, Reading, Value } from '../../drivers/driver.ts';

export interface TelemetryValue {
  value: Value;
  quality: Quality;
  ts: number;
}

export interface TelemetrySnapshot {
  lastSent: Record<string, number>;
}

export class TelemetryThrottle {
  #interval: number;
  /**
   * Polls land a few ms early or late; a poll within half a poll of the interval's end is on
   * time. Without it, an interval equal to the poll interval skipped about every third poll.
   */
  #slack: number;
  #tags: Set<string> | undefined;
  #latest = new Map<string, TelemetryValue>();
  /** #latest's tags in order, rebuilt only when a new tag appears (a machine's tags rarely change). */
  #order: string[] = [];
  #lastSent: Map<string, number>;
  #sentQuality = new Map<string, Quality>();

  constructor(interval: number, tags: string[] | undefined, pollInterval: number, snapshot?: TelemetrySnapshot) {
    this.#interval = interval;
    this.#slack = Math.min(interval, pollInterval) / 2;
    this.#tags = tags ? new Set(tags) : undefined;
    this.#lastSent = new Map(Object.entries(snapshot?.lastSent ?? {}));
  }

  snapshot(): TelemetrySnapshot {
    return { lastSent: Object.fromEntries(this.#lastSent) };
  }

  offer(readings: Reading[]): void {
    for (const r of readings) {
      if (this.#tags && !this.#tags.has(r.tag)) continue;
      if (!this.#latest.has(r.tag)) this.#order = [];
      // The reading itself, not a copy: drivers hand over fresh readings and never change them.
      this.#latest.set(r.tag, r);
    }
    if (this.#order.length !== this.#latest.size) this.#order = [...this.#latest.keys()].sort();
  }

  /** The link is lost: every tag's value is unknown from `ts` on (and due, its quality changed). */
  lost(ts: number): void {
    for (const [tag, v] of this.#latest) if (v.quality !== 'bad') this.#latest.set(tag, { value: null, quality: 'bad', ts });
  }

  /** The values due at `now`, in tag order; empty when none is due. */
  due(now: number): Array<[tag: string, value: TelemetryValue]> {
    const out: Array<[string, TelemetryValue]> = [];
    for (const tag of this.#order) {
      const v = this.#latest.get(tag)!;
      const last = this.#lastSent.get(tag);
      if (last !== undefined && now - last < this.#interval - this.#slack && this.#sentQuality.get(tag) === v.quality) continue;
      out.push([tag, v]);
      this.#lastSent.set(tag, now);
      this.#sentQuality.set(tag, v.quality);
    }
    return out;
  }
}
