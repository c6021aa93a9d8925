// The production trigger: one node-cron task per job, on housekeeping.schedule in its timezone.
// node-cron only says when; the scheduler decides what a run is (bounds, overlap, counting).
import { createTask, type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.ts';
import type { TriggerFactory } from './scheduler.ts';

/**
 * How late a firing may still run. node-cron's default (1 s) would drop the night's run on any
 * event-loop stall; much later than this, the PC probably slept through it and production may
 * have begun, so the time counts as missed and the next scheduled time does the work.
 */
const MISSED_TOLERANCE_MS = 5 * 60_000;

export interface CronTriggerOptions {
  schedule: string;
  timezone: string;
  log: Logger;
}

export function cronTrigger(o: CronTriggerOptions): TriggerFactory {
  // node-cron's own messages go to our log instead of the console.
  const logger: CronLogger = {
    info: (msg) => o.log.debug({ source: 'node-cron' }, msg),
    warn: (msg) => o.log.warn({ source: 'node-cron' }, msg),
    error: (msg, err) => o.log.error({ source: 'node-cron', err: err ?? msg }, String(msg)),
    debug: (msg, err) => o.log.debug({ source: 'node-cron', err }, String(msg)),
  };
  return (job) => {
    let task: ScheduledTask | undefined;
    let next: number | undefined;
    return {
      start(fire, missed) {
        const t = createTask(
          o.schedule,
          () => {
            next = undefined;
            fire();
          },
          { name: `housekeeping:${job}`, timezone: o.timezone, logger, missedExecutionTolerance: MISSED_TOLERANCE_MS },
        );
        t.on('execution:missed', () => missed());
        task = t;
        void t.start();
      },
      stop() {
        // destroy(), not stop(): it also drops the task from node-cron's global registry.
        void task?.destroy();
        task = undefined;
        next = undefined;
      },
      nextRun() {
        // Computing a match walks the calendar: once per firing, not once per scrape.
        if (task && (next === undefined || next <= Date.now())) next = task.getNextRun()?.getTime();
        return task ? next : undefined;
      },
    };
  };
}
