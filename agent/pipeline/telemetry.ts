// Raw tag values forwarded as telemetry: a tag is published when it changed and its last
// publication is at least `interval` old, and republished once per `interval` when it did not
// change (so a quiet value still shows it is alive). Changes within the interval are folded:
// the latest value goes out when the interval is up.
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
  #tags: Set<string> | undefined;
  #latest = new Map<string, TelemetryValue>();
  /** #latest's tags in order, rebuilt only when a new tag appears (a machine's tags rarely change). */
  #order: string[] = [];
  #lastSent: Map<string, number>;

  constructor(interval: number, tags: string[] | undefined, snapshot?: TelemetrySnapshot) {
    this.#interval = interval;
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

  /** The values due at `now`, in tag order; empty when none is due. */
  due(now: number): Array<[tag: string, value: TelemetryValue]> {
    const out: Array<[string, TelemetryValue]> = [];
    for (const tag of this.#order) {
      const last = this.#lastSent.get(tag);
      if (last !== undefined && now - last < this.#interval) continue;
      out.push([tag, this.#latest.get(tag)!]);
      this.#lastSent.set(tag, now);
    }
    return out;
  }
}

