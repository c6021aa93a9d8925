// A failure that repeats on every poll or tick is one incident, not a thousand log lines: it is
// logged once when it starts (with the error), counted while it lasts, and logged once when the
// same work succeeds again (with how many failures and how long). Metrics read the counts.
import type { Logger } from '../log.ts';

export interface IncidentOptions {
  /** Short stable name, also the metrics label: `history-write`, `pipeline-tick`. */
  name: string;
  /** What failed, as the log line says it: "writing pipeline history failed". */
  failed: string;
  /** What the agent does meanwhile, appended to the first log line: "retrying every tick". */
  meanwhile?: string;
  /** Error code from agent/errors.ts, if the failure has one. */
  code?: string;
  level?: 'error' | 'warn';
}

export class Incident {
  readonly name: string;
  #o: IncidentOptions;
  #log: Logger;
  #now: () => number;
  #since: number | undefined;
  #inThis = 0;
  /** Failures over the process's life. */
  failures = 0;
  /** Incidents (runs of failures) over the process's life. */
  started = 0;
  lastError: string | undefined;

  constructor(log: Logger, o: IncidentOptions, now: () => number = Date.now) {
    this.name = o.name;
    this.#o = o;
    this.#log = log;
    this.#now = now;
  }

  get active(): boolean {
    return this.#since !== undefined;
  }

  /** The work failed. Logs only when this starts an incident. */
  fail(err: unknown, fields: Record<string, unknown> = {}): void {
    this.failures++;
    this.#inThis++;
    this.lastError = err instanceof Error ? err.message : String(err);
    if (this.#since !== undefined) return;
    this.#since = this.#now();
    this.started++;
    const { code, failed, meanwhile, level = 'error' } = this.#o;
    this.#log[level]({ ...(code ? { code } : {}), incident: this.name, err, ...fields }, meanwhile ? `${failed}; ${meanwhile}` : failed);
  }

  /** The work succeeded. Logs only when this ends an incident. */
  ok(): void {
    if (this.#since === undefined) return;
    const forMs = this.#now() - this.#since;
    this.#log.info({ incident: this.name, failures: this.#inThis, forMs, lastError: this.lastError }, `${this.#o.failed}: recovered after ${this.#inThis} failure(s)`);
    this.#since = undefined;
    this.#inThis = 0;
  }

  /** Run `fn`, reporting its outcome; returns undefined when it threw. */
  run<T>(fn: () => T, fields?: Record<string, unknown>): T | undefined {
    try {
      const v = fn();
      this.ok();
      return v;
    } catch (err) {
      this.fail(err, fields);
      return undefined;
    }
  }
}

/** Every incident of the agent, so /metrics can show them all in one family. */
export class Incidents {
  #all = new Map<string, Incident>();
  #log: Logger;
  #now: () => number;

  constructor(log: Logger, now: () => number = Date.now) {
    this.#log = log;
    this.#now = now;
  }

  /** The incident of this name, created on first use (one per name: the log and metrics key). */
  get(o: IncidentOptions): Incident {
    let i = this.#all.get(o.name);
    if (!i) this.#all.set(o.name, (i = new Incident(this.#log, o, this.#now)));
    return i;
  }

  list(): Incident[] {
    return [...this.#all.values()];
  }
}
