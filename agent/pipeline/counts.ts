// A machine's part counts per reading batch: the deltas of its configured counters turned
// into total and reject parts, with parts read first after a communication gap set apart.
import type { SignalsConfig } from '../../config/schema/index.ts';
import { Counter, type CounterState } from './counters.ts';
import type { CounterReading, CounterSignal } from './signals.ts';

export interface BatchCounts {
  total: number;
  reject: number;
  /** Parts first seen after a communication gap, left out when the gap's time is. */
  excluded: number;
  /** Counter jumps too large to be real (not counted). */
  jumps: number;
}

export interface CountsSnapshot {
  counters: Partial<Record<CounterSignal, CounterState>>;
  gap: Partial<Record<CounterSignal, boolean>>;
}

export class PartCounts {
  #counters = new Map<CounterSignal, Counter>();
  #gap: Partial<Record<CounterSignal, boolean>>;

  constructor(signals: SignalsConfig, snapshot?: CountsSnapshot) {
    for (const sig of ['partCount', 'rejectCount', 'goodCount'] as const) {
      const def = signals[sig];
      if (def) this.#counters.set(sig, new Counter(def.maxDelta === undefined ? { width: def.width } : { width: def.width, maxDelta: def.maxDelta }, snapshot?.counters[sig]));
    }
    this.#gap = { ...(snapshot?.gap ?? {}) };
  }

  snapshot(): CountsSnapshot {
    const counters: Partial<Record<CounterSignal, CounterState>> = {};
    for (const [k, c] of this.#counters) counters[k] = c.state;
    return { counters, gap: { ...this.#gap } };
  }

  /** Communication was lost: the next increase of every counter spans the gap. */
  markGap(): void {
    for (const sig of this.#counters.keys()) this.#gap[sig] = true;
  }

  /** `linkDown`: read while the link is still down (a straggler), so the gap is not over yet. */
  update(readings: CounterReading[], ts: number, idealCycleTime: number, excludeAcrossGap: boolean, linkDown = false): BatchCounts {
    const delta: Record<CounterSignal, number> = { partCount: 0, rejectCount: 0, goodCount: 0 };
    const excluded: Record<CounterSignal, number> = { partCount: 0, rejectCount: 0, goodCount: 0 };
    let jumps = 0;
    const jumped = new Set<CounterSignal>();
    for (const r of readings) {
      const d = this.#counters.get(r.signal)?.update(r.value, ts, idealCycleTime);
      if (!d) continue;
      if (d.event === 'jump') {
        jumps++;
        jumped.add(r.signal);
      }
      const acrossGap = this.#gap[r.signal] === true;
      if (d.event !== 'first' && !linkDown) this.#gap[r.signal] = false;
      if (d.delta === 0) continue;
      if (acrossGap && excludeAcrossGap) excluded[r.signal] += d.delta;
      else delta[r.signal] += d.delta;
    }
    const hasPart = this.#counters.has('partCount');
    // Rejects from part - good need both increases: with one of them a jump (not counted), the
    // difference would turn good parts into rejects, or subtract rejects.
    const derived = jumped.has('partCount') || jumped.has('goodCount') ? 0 : delta.partCount - delta.goodCount;
    return {
      total: hasPart ? delta.partCount : delta.goodCount + delta.rejectCount,
      // With a good counter, rejects are what the part counter counted beyond it.
      reject: this.#counters.has('rejectCount') ? delta.rejectCount : this.#counters.has('goodCount') && hasPart ? derived : 0,
      excluded: hasPart ? excluded.partCount : excluded.goodCount + excluded.rejectCount,
      jumps,
    };
  }
}
