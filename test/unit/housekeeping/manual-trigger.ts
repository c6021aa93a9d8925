// A trigger the test fires by hand, in place of node-cron: no waiting for real cron times.
import type { Trigger, TriggerFactory } from '../../../agent/housekeeping/scheduler.ts';

export class ManualTriggers {
  readonly #armed = new Map<string, { fire: () => void; missed: () => void }>();
  readonly stopped: string[] = [];
  next = 1_900_000_000_000;

  readonly factory: TriggerFactory = (job): Trigger => ({
    start: (fire, missed) => void this.#armed.set(job, { fire, missed }),
    stop: () => {
      this.#armed.delete(job);
      this.stopped.push(job);
    },
    nextRun: () => this.next,
  });

  get armed(): string[] {
    return [...this.#armed.keys()];
  }

  /** Fire a job's trigger as node-cron would at its scheduled time; false when it is not armed. */
  fire(job: string): boolean {
    const t = this.#armed.get(job);
    t?.fire();
    return t !== undefined;
  }

  fireAll(): void {
    for (const t of this.#armed.values()) t.fire();
  }

  miss(job: string): void {
    this.#armed.get(job)?.missed();
  }
}
