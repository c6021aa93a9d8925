// What every way out of the agent (MQTT, webhooks, Sparkplug) has in common: a name (its cursor
// in the outbox), and the figures an operator needs to see whether it keeps up — in /metrics,
// in /readyz reasons and in the read API.
import type { Component } from '../lifecycle/component.ts';

export interface DestinationStats {
  name: string;
  type: 'mqtt' | 'webhook' | 'sparkplug';
  /** It can deliver now (broker connected, receiver answering). */
  up: boolean;
  /** Messages this destination wants and does not have yet. */
  depth: number;
  /** Age of the oldest of them (ms). */
  oldestAgeMs: number;
  /** Messages confirmed per second, over the last few seconds. */
  rate: number;
  /** depth / rate, when there is a rate. */
  etaSeconds: number | undefined;
  sent: number;
  acked: number;
  deadLetters: number;
  lastError: { at: string; message: string } | undefined;
}

export interface Destination extends Component {
  readonly name: string;
  stats(): DestinationStats;
}

/** The outbox's figures of one destination; zero while the outbox is not open (stats never fail the caller). */
export function backlogFigures(
  name: string,
  cursor: () => { pending: number },
  outbox: { oldestAgeMs(name: string): number; deadLetterCounts(): Map<string, number> },
): { depth: number; oldestAgeMs: number; deadLetters: number } {
  try {
    return { depth: cursor().pending, oldestAgeMs: outbox.oldestAgeMs(name), deadLetters: outbox.deadLetterCounts().get(name) ?? 0 };
  } catch {
    return { depth: 0, oldestAgeMs: 0, deadLetters: 0 };
  }
}

/** Acknowledgements per second over a sliding window of a few seconds. */
export class RateMeter {
  readonly #windowMs: number;
  readonly #now: () => number;
  #marks: Array<[at: number, total: number]> = [];

  constructor(now: () => number, windowMs = 10_000) {
    this.#now = now;
    this.#windowMs = windowMs;
  }

  /** Record the running total of acknowledged messages. */
  mark(total: number): void {
    const at = this.#now();
    const last = this.#marks.at(-1);
    if (last && at - last[0] < 250) last[1] = total;
    else this.#marks.push([at, total]);
    while (this.#marks.length > 2 && at - this.#marks[0]![0] > this.#windowMs) this.#marks.shift();
  }

  rate(): number {
    const first = this.#marks[0];
    const last = this.#marks.at(-1);
    if (!first || !last || last[0] === first[0] || this.#now() - last[0] > this.#windowMs) return 0;
    return ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
  }
}
