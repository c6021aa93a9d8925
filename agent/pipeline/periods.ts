// OEE periods: a shift, a clock hour or a job, each with its own accumulator. A period is
// open while time is still being accounted into it and closed once accounting passes its end.
import { iso } from './downtime.ts';
import type { JobRun } from './jobs.ts';
import type { Accum, OeeFigures } from './oee.ts';

export type PeriodKind = 'shift' | 'hour' | 'job';

export interface Period {
  id: string;
  kind: PeriodKind;
  name?: string;
  start: number;
  /** null while a job runs with no end yet. */
  end: number | null;
  acc: Accum;
  /** 0 while open (live figures), 1 when closed, +1 for each re-issue after a late reason. */
  revision: number;
  /** The job a job period belongs to. */
  job?: JobRun;
}

export function contains(p: Period, t: number): boolean {
  return p.start <= t && (p.end === null || t < p.end);
}

export function periodBody(p: Period, f: OeeFigures, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    periodId: p.id,
    kind: p.kind,
    start: iso(p.start),
    end: p.end === null ? null : iso(p.end),
    status: p.revision === 0 ? 'live' : 'closed',
    revision: p.revision,
    availability: f.availability,
    performance: f.performance,
    quality: f.quality,
    oee: f.oee,
    times: f.times,
    counts: f.counts,
    flags: f.flags,
    ...extra,
  };
  if (p.name !== undefined) body.name = p.name;
  return body;
}
