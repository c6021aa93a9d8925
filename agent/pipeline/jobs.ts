// Jobs (production orders): a job order sets the ideal cycle time of its product while it
// runs; when it ends, its result (counts, duration, OEE) goes back to the MES / ERP.
import type { JobOrder } from '../events.ts';
import type { OeeFigures } from './oee.ts';
import { iso } from './downtime.ts';

export interface JobRun extends JobOrder {
  start: number;
  periodId: string;
}

export function validateJob(job: JobOrder): string | undefined {
  if (typeof job.orderId !== 'string' || job.orderId === '') return 'orderId: expected a non-empty string';
  if (typeof job.product !== 'string' || job.product === '') return 'product: expected a non-empty string';
  if (!(Number.isFinite(job.idealCycleTime) && job.idealCycleTime > 0)) return 'idealCycleTime: expected a positive number of ms';
  if (job.targetQuantity !== undefined && !(Number.isInteger(job.targetQuantity) && job.targetQuantity >= 0)) return 'targetQuantity: expected a non-negative integer';
  return undefined;
}

/** `revision` is 1 for the first result and goes up when a late downtime reason changes it. */
export function jobResultBody(job: JobRun, end: number, f: OeeFigures, revision: number): Record<string, unknown> {
  const body: Record<string, unknown> = {
    orderId: job.orderId,
    product: job.product,
    idealCycleTimeMs: job.idealCycleTime,
    start: iso(job.start),
    end: iso(end),
    durationMs: end - job.start,
    total: f.counts.total,
    good: f.counts.good,
    reject: f.counts.reject,
    availability: f.availability,
    performance: f.performance,
    quality: f.quality,
    oee: f.oee,
    flags: f.flags,
    revision,
  };
  if (job.targetQuantity !== undefined) {
    body.targetQuantity = job.targetQuantity;
    body.complete = f.counts.good >= job.targetQuantity;
  }
  return body;
}
