// Housekeeping from the configuration: the jobs, on housekeeping.schedule, with their metrics.
// compose.ts wires it; it runs after (and stops before) the outbox and pipeline it works on.
import type { Registry } from 'prom-client';
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { Logger } from '../log.ts';
import { cronTrigger } from './cron-trigger.ts';
import { housekeepingJobs, type HousekeepingTargets } from './jobs.ts';
import { registerHousekeepingMetrics } from './metrics.ts';
import { HousekeepingScheduler, type TriggerFactory } from './scheduler.ts';

export interface BuildHousekeepingOptions {
  now?: () => number;
  /** Replaces node-cron (tests). */
  trigger?: TriggerFactory;
}

export function buildHousekeeping(config: LinesideConfig, targets: HousekeepingTargets, registry: Registry, log: Logger, opts: BuildHousekeepingOptions = {}): HousekeepingScheduler {
  const h = config.housekeeping;
  const hlog = log.child({ component: 'housekeeping' });
  // The plant thinks in its shift calendar's time: "between shifts" means the same clock.
  const timezone = h.timezone ?? config.shifts.timezone;
  const scheduler = new HousekeepingScheduler({
    jobs: housekeepingJobs(targets),
    trigger: opts.trigger ?? cronTrigger({ schedule: h.schedule, timezone, log: hlog }),
    timeoutMs: h.timeout,
    runOnStart: h.runOnStart,
    log: hlog,
    ...(opts.now ? { now: opts.now } : {}),
  });
  registerHousekeepingMetrics(registry, scheduler);
  return scheduler;
}
