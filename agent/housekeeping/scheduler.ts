// Runs the housekeeping jobs when their trigger fires (node-cron on the plant's schedule; tests
// fire by hand). A run is bounded in time, never overlaps the same job's previous run, and cannot
// hurt the other jobs or the agent: whatever a job throws is logged and counted, nothing more.
import type { Component } from '../lifecycle/component.ts';
import type { Logger } from '../log.ts';

export interface HousekeepingJob {
  readonly name: string;
  /**
   * Do the work. Long work goes in steps and stops at the next step once `signal` aborts (by
   * throwing `signal.reason`). What it returns is logged with the run.
   */
  run(signal: AbortSignal): Promise<Record<string, unknown> | void> | Record<string, unknown> | void;
}

/** Calls `fire` at each scheduled time, `missed` for a time that passed unnoticed, until stopped. */
export interface Trigger {
  start(fire: () => void, missed: () => void): void;
  stop(): void;
  /** The next scheduled time (ms), when known. */
  nextRun(): number | undefined;
}

export type TriggerFactory = (job: string) => Trigger;

export const RESULTS = ['ok', 'failed', 'timeout', 'interrupted', 'skipped', 'missed'] as const;
/**
 * `interrupted`: the agent stopped during the run; `skipped`: the previous run still went on;
 * `missed`: the time passed while the agent could not act on it (blocked, or the PC asleep).
 */
export type RunResult = (typeof RESULTS)[number];

export interface JobStats {
  job: string;
  /** Start (ms) of the last run that ended. */
  lastRun?: number;
  lastDurationMs?: number;
  /** End (ms) of the last successful run. */
  lastSuccess?: number;
  running: boolean;
  nextRun?: number;
  runs: Record<RunResult, number>;
}

export interface SchedulerOptions {
  jobs: readonly HousekeepingJob[];
  trigger: TriggerFactory;
  /** Longest run (ms); the job is then asked to stop and the run counts as `timeout`. */
  timeoutMs: number;
  runOnStart?: boolean;
  log: Logger;
  now?: () => number;
}

class DeadlinePassed extends Error {
  override name = 'DeadlinePassed';
}

interface JobState {
  job: HousekeepingJob;
  trigger?: Trigger;
  current?: Promise<RunResult>;
  abort?: AbortController;
  /** The result that is wrong right now, logged once when it began; cleared (and logged) by a good run. */
  problem?: RunResult;
  stats: JobStats;
}

export class HousekeepingScheduler implements Component {
  readonly name = 'housekeeping';
  readonly #o: SchedulerOptions;
  readonly #now: () => number;
  readonly #jobs: Map<string, JobState>;
  #running = false;

  constructor(o: SchedulerOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#jobs = new Map(o.jobs.map((job) => [job.name, { job, stats: { job: job.name, running: false, runs: Object.fromEntries(RESULTS.map((r) => [r, 0])) as Record<RunResult, number> } }]));
  }

  async start(): Promise<void> {
    this.#running = true;
    for (const s of this.#jobs.values()) {
      s.trigger = this.#o.trigger(s.job.name);
      s.trigger.start(() => void this.#run(s), () => this.#record(s, 'missed', this.#now()));
    }
    if (this.#o.runOnStart) for (const s of this.#jobs.values()) void this.#run(s);
  }

  /** Removes every trigger, asks running jobs to stop and waits for them: nothing is left running. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const s of this.#jobs.values()) {
      s.trigger?.stop();
      s.trigger = undefined;
      s.abort?.abort(new Error('the agent is stopping'));
    }
    await this.idle();
  }

  /** Resolves once no job is running (at once when none is). */
  async idle(): Promise<void> {
    await Promise.all([...this.#jobs.values()].map((s) => s.current));
  }

  /** Run a job now, as its trigger would; resolves with the result and never rejects. */
  run(job: string): Promise<RunResult> {
    const s = this.#jobs.get(job);
    if (!s) return Promise.reject(new Error(`no housekeeping job "${job}"`));
    return this.#run(s);
  }

  stats(): JobStats[] {
    return [...this.#jobs.values()].map((s) => {
      const nextRun = s.trigger?.nextRun();
      return { ...s.stats, runs: { ...s.stats.runs }, running: s.current !== undefined, ...(nextRun !== undefined ? { nextRun } : {}) };
    });
  }

  #run(s: JobState): Promise<RunResult> {
    if (!this.#running) return Promise.resolve('interrupted');
    if (s.current) {
      this.#record(s, 'skipped', this.#now());
      return Promise.resolve('skipped');
    }
    const abort = new AbortController();
    const started = this.#now();
    const timer = setTimeout(() => abort.abort(new DeadlinePassed(`${s.job.name} did not finish within ${this.#o.timeoutMs} ms`)), this.#o.timeoutMs);
    s.abort = abort;
    // Started from a microtask, so even a job that throws at once ends after s.current is set.
    s.current = Promise.resolve().then(async (): Promise<RunResult> => {
      let result: RunResult;
      let detail: Record<string, unknown> | void = undefined;
      let error: unknown;
      try {
        abort.signal.throwIfAborted(); // stopped before the job began
        detail = await s.job.run(abort.signal);
        result = 'ok';
      } catch (err) {
        error = err;
        result = !abort.signal.aborted ? 'failed' : abort.signal.reason instanceof DeadlinePassed ? 'timeout' : 'interrupted';
      } finally {
        clearTimeout(timer);
        s.abort = undefined;
        s.current = undefined;
      }
      this.#record(s, result, started, detail ?? undefined, error);
      return result;
    });
    return s.current;
  }

  #record(s: JobState, result: RunResult, started: number, detail?: Record<string, unknown>, err?: unknown): void {
    const end = this.#now();
    const st = s.stats;
    st.runs[result]++;
    if (result !== 'skipped' && result !== 'missed') {
      st.lastRun = started;
      st.lastDurationMs = end - started;
    }
    const log = this.#o.log;
    const job = s.job.name;
    if (result === 'ok') {
      st.lastSuccess = end;
      if (s.problem) log.info({ job, was: s.problem, durationMs: st.lastDurationMs, ...detail }, 'housekeeping job works again');
      else log.info({ job, durationMs: st.lastDurationMs, ...detail }, 'housekeeping job done');
      s.problem = undefined;
      return;
    }
    if (result === 'interrupted') {
      log.debug({ job }, 'housekeeping job interrupted: the agent is stopping');
      return;
    }
    // Once when a problem begins (or changes); a job failing every night says so only at debug.
    if (s.problem === result) {
      log.debug({ job, result, err }, 'housekeeping job still not done');
      return;
    }
    s.problem = result;
    if (result === 'failed') log.error({ job, err }, 'housekeeping job failed; the agent goes on and tries again at the next scheduled time');
    else if (result === 'timeout') log.warn({ job, timeoutMs: this.#o.timeoutMs, err }, 'housekeeping job stopped at its time limit (housekeeping.timeout); it goes on at the next scheduled time');
    else if (result === 'skipped') log.warn({ job }, 'housekeeping job still running from its previous start; this start skipped');
    else log.warn({ job }, 'housekeeping start missed: the agent was blocked or the machine asleep at the scheduled time');
  }
}
