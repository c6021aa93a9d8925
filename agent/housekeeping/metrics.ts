// /metrics for housekeeping: when each job last ran, how long it took, how runs ended and when
// the next is due. Read from the scheduler at scrape time, like every other Lineside metric.
import type { Registry } from 'prom-client';
import { mirrorCounter, mirrorGauge } from '../http/mirror.ts';
import { RESULTS, type HousekeepingScheduler, type JobStats } from './scheduler.ts';

export function registerHousekeepingMetrics(registry: Registry, scheduler: HousekeepingScheduler): void {
  const perJob = (pick: (s: JobStats) => number | undefined) => (emit: (l: Record<string, string>, v: number) => void) => {
    for (const s of scheduler.stats()) {
      const v = pick(s);
      if (v !== undefined) emit({ job: s.job }, v);
    }
  };
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
  mirrorGauge(registry, {
    name: 'lineside_housekeeping_last_run_timestamp_seconds',
    help: 'Start of the last housekeeping run of each job that ended, whatever its result (absent before the first).',
    labelNames: ['job'],
    read: perJob((s) => seconds(s.lastRun)),
  });
  mirrorGauge(registry, {
    name: 'lineside_housekeeping_last_success_timestamp_seconds',
    help: 'End of the last successful housekeeping run of each job (absent before the first).',
    labelNames: ['job'],
    read: perJob((s) => seconds(s.lastSuccess)),
  });
  mirrorGauge(registry, {
    name: 'lineside_housekeeping_last_duration_seconds',
    help: 'Duration of the last housekeeping run of each job.',
    labelNames: ['job'],
    read: perJob((s) => seconds(s.lastDurationMs)),
  });
  mirrorGauge(registry, {
    name: 'lineside_housekeeping_next_run_timestamp_seconds',
    help: 'When each housekeeping job is next scheduled (housekeeping.schedule).',
    labelNames: ['job'],
    read: perJob((s) => seconds(s.nextRun)),
  });
  mirrorGauge(registry, {
    name: 'lineside_housekeeping_running',
    help: '1 while a housekeeping job runs.',
    labelNames: ['job'],
    read: perJob((s) => (s.running ? 1 : 0)),
  });
  // Every result from the start, at 0, so increase() sees the first failure.
  mirrorCounter(registry, {
    name: 'lineside_housekeeping_runs_total',
    help: 'Housekeeping runs by job and result: ok, failed, timeout, interrupted (agent stopping), skipped (previous run still going), missed (scheduled time passed unnoticed).',
    labelNames: ['job', 'result'],
    read: (emit) => {
      for (const s of scheduler.stats()) for (const result of RESULTS) emit({ job: s.job, result }, s.runs[result]);
    },
  });
}
