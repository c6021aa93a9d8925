// Paces the replay of a backlog (token bucket at mqtt.replayRate) and reports its progress:
// depth, rate and ETA, in the log every few seconds and in stats().
import type { Logger } from '../log.ts';

const PROGRESS_EVERY_MS = 5_000;

export interface ReplayProgress {
  active: boolean;
  /** Messages of the backlog still to send. */
  remaining: number;
  /** Messages/s over the last progress interval. */
  rate: number;
  etaSeconds: number | undefined;
}

export class ReplayPacer {
  readonly #rate: number;
  readonly #burst: number;
  readonly #log: Logger;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;
  #upTo = 0;
  #startedAt = 0;
  #sent = 0;
  #lastLogAt = 0;
  #lastLogSent = 0;
  #lastRate = 0;
  #remaining = 0;

  constructor(ratePerSecond: number, burst: number, log: Logger, now: () => number) {
    this.#rate = ratePerSecond;
    this.#burst = Math.max(1, burst);
    this.#log = log;
    this.#now = now;
    this.#tokens = this.#burst;
    this.#refilledAt = now();
  }

  /** A new connection: everything committed up to `upToSeq` is backlog (`remaining` of it). */
  begin(upToSeq: number, remaining: number): void {
    this.#upTo = upToSeq;
    this.#remaining = remaining;
    this.#startedAt = this.#lastLogAt = this.#now();
    this.#sent = this.#lastLogSent = 0;
    this.#lastRate = 0;
    if (remaining > 0) this.#log.info({ depth: remaining, upToSeq, replayRate: this.#rate }, 'replaying backlog');
  }

  get upToSeq(): number {
    return this.#upTo;
  }

  /** How many backlog messages may go now (≤ want). */
  take(want: number): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1000);
    this.#refilledAt = now;
    const n = Math.min(want, Math.floor(this.#tokens));
    this.#tokens -= n;
    return n;
  }

  /** ms until at least one token is there again. */
  waitMs(): number {
    return Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.#rate));
  }

  /** Backlog messages were acknowledged. */
  acked(n: number): void {
    if (this.#upTo === 0) return;
    this.#sent += n;
    this.#remaining = Math.max(0, this.#remaining - n);
    const now = this.#now();
    if (now - this.#lastLogAt >= PROGRESS_EVERY_MS) {
      this.#lastRate = Math.round(((this.#sent - this.#lastLogSent) * 1000) / (now - this.#lastLogAt));
      this.#lastLogAt = now;
      this.#lastLogSent = this.#sent;
      this.#log.info({ depth: this.#remaining, rate: this.#lastRate, etaSeconds: this.#eta() }, 'backlog replay progress');
    }
  }

  /** The whole backlog has been handed to the broker: pacing ends. */
  finish(): void {
    if (this.#upTo === 0) return;
    const ms = Math.max(1, this.#now() - this.#startedAt);
    this.#log.info({ sent: this.#sent, durationMs: ms, rate: Math.round((this.#sent * 1000) / ms) }, 'backlog replayed');
    this.#upTo = 0;
    this.#remaining = 0;
  }

  progress(): ReplayProgress {
    return { active: this.#upTo > 0, remaining: this.#remaining, rate: this.#lastRate, etaSeconds: this.#eta() };
  }

  #eta(): number | undefined {
    return this.#lastRate > 0 ? Math.round(this.#remaining / this.#lastRate) : undefined;
  }
}
