// Part counts from PLC counters: the delta between two readings, with wrap at the counter's
// width, PLC resets, and implausible jumps flagged instead of counted.

export type CounterEvent = 'first' | 'count' | 'wrap' | 'reset' | 'jump';

export interface CounterDelta {
  delta: number;
  event: CounterEvent;
}

export interface CounterState {
  last?: number;
  lastTs?: number;
}

export interface CounterOptions {
  width: 16 | 32 | 64;
  /** Largest plausible increase between two readings; default from the ideal cycle time. */
  maxDelta?: number;
}

/** Slack on top of the speed-derived bound, so a couple of parts in a short poll never look like a jump. */
const SLACK = 10;
/** A machine may run this much faster than its ideal cycle time before a jump is implausible. */
const SPEED_MARGIN = 4;

export class Counter {
  readonly width: 16 | 32 | 64;
  #maxDelta: number | undefined;
  #s: CounterState;

  constructor(opts: CounterOptions, state: CounterState = {}) {
    this.width = opts.width;
    this.#maxDelta = opts.maxDelta;
    this.#s = { ...state };
  }

  get state(): CounterState {
    return { ...this.#s };
  }

  /**
   * The parts counted since the last reading. `idealCycleTime` (ms) bounds what is plausible
   * when no maxDelta is configured. Values that are not non-negative integers are ignored.
   */
  update(value: number, ts: number, idealCycleTime: number): CounterDelta | undefined {
    if (!Number.isFinite(value) || value < 0 || !Number.isInteger(value)) return undefined;
    const { last, lastTs } = this.#s;
    this.#s = { last: value, lastTs: ts };
    if (last === undefined || lastTs === undefined) return { delta: 0, event: 'first' };
    const limit = this.#maxDelta ?? Math.ceil((SPEED_MARGIN * Math.max(0, ts - lastTs)) / idealCycleTime) + SLACK;
    if (value >= last) {
      const d = value - last;
      return d <= limit ? { delta: d, event: 'count' } : { delta: 0, event: 'jump' };
    }
    // 2^64 is beyond exact doubles; a 64-bit counter that wraps is out of reach in practice.
    const wrapped = 2 ** this.width - last + value;
    // A last value at or beyond 2^width (the PLC's counter is wider than configured) cannot have
    // wrapped there: taking it for a wrap would count a negative or zero number of parts.
    if (last < 2 ** this.width && wrapped <= limit) return { delta: wrapped, event: 'wrap' };
    return value <= limit ? { delta: value, event: 'reset' } : { delta: 0, event: 'jump' };
  }
}
