// The OEE accumulator of one period and the figures derived from it (oee.com / ISO 22400-2).
// Times and counts are summed as they happen; ratios are computed only at the end, from the
// sums, and never rounded here. Downtime time is kept per downtime event, so a reason given
// later (or a stop that turns out to be a micro-stop) moves the time to its loss category
// when the figures are computed again.
import type { MachineState } from './state.ts';

export type LossCategory = 'availability' | 'performance' | 'planned';

export interface Accum {
  /** Milliseconds spent in each state within the period. */
  ms: Record<MachineState, number>;
  /** Milliseconds of each downtime event within the period. */
  downtime: Record<string, number>;
  /** Parts counted (good + reject). */
  total: number;
  /** Rejected parts (may run ahead of total between two counter readings; clamped when computed). */
  reject: number;
  /** Σ ideal cycle time × parts (ms). */
  idealMs: number;
  /** Parts counted across a communication gap and left out with the gap's time. */
  excludedParts: number;
  /** Counter jumps too large to be real, not counted. */
  implausibleJumps: number;
  /** Unknown time the calendar did not plan (no shift, breaks); absent in states saved before it existed. */
  unknownUnplanned?: number;
}

export function emptyAccum(): Accum {
  return { ms: { unknown: 0, plannedStop: 0, fault: 0, changeover: 0, running: 0, stopped: 0 }, downtime: {}, total: 0, reject: 0, idealMs: 0, excludedParts: 0, implausibleJumps: 0, unknownUnplanned: 0 };
}

export interface OeeTimes {
  /** Time accounted in the period so far (its length once closed). */
  elapsed: number;
  /** Planned stops: calendar (no shift, breaks), planned-stop signal and downtime with a `planned` reason. */
  plannedStop: number;
  /** Communication loss (unknown state). */
  unknown: number;
  /** Planned production time = elapsed − planned stops − excluded unknown time. */
  planned: number;
  /** Stop time = downtime with an `availability` reason (+ unknown time when not excluded). */
  stop: number;
  /** Run time = planned − stop. Includes micro-stops and `performance` downtime (speed losses). */
  run: number;
  /** Σ ideal cycle time × count. */
  ideal: number;
  /** Downtime time by category. */
  availabilityLoss: number;
  performanceLoss: number;
  plannedDowntime: number;
  /** Time by machine state. */
  states: Record<MachineState, number>;
}

export interface OeeCounts {
  total: number;
  good: number;
  reject: number;
  excluded: number;
  implausibleJumps: number;
}

export interface OeeFigures {
  times: OeeTimes;
  counts: OeeCounts;
  /** null when the denominator is zero. */
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
  flags: string[];
}

export interface OeeOptions {
  excludeCommunicationLoss: boolean;
  categoryOf(downtimeId: string): LossCategory;
}

function ratio(n: number, d: number): number | null {
  return d > 0 ? n / d : null;
}

export function computeOee(acc: Accum, opts: OeeOptions): OeeFigures {
  let availabilityLoss = 0;
  let performanceLoss = 0;
  let plannedDowntime = 0;
  for (const [id, ms] of Object.entries(acc.downtime)) {
    const c = opts.categoryOf(id);
    if (c === 'planned') plannedDowntime += ms;
    else if (c === 'performance') performanceLoss += ms;
    else availabilityLoss += ms;
  }
  const m = acc.ms;
  const elapsed = m.unknown + m.plannedStop + m.fault + m.changeover + m.running + m.stopped;
  const exclude = opts.excludeCommunicationLoss;
  // Communication loss hides the machine, not the calendar: unknown time outside planned
  // production (no shift, a break) stays a planned stop when the outage is counted as stop time.
  const unplanned = exclude ? 0 : Math.min(acc.unknownUnplanned ?? 0, m.unknown);
  const plannedStop = m.plannedStop + plannedDowntime + unplanned;
  const planned = elapsed - plannedStop - (exclude ? m.unknown : 0);
  const stop = availabilityLoss + (exclude ? 0 : m.unknown - unplanned);
  const run = planned - stop;
  const total = acc.total;
  const reject = Math.min(Math.max(acc.reject, 0), total);
  const good = total - reject;
  const availability = ratio(run, planned);
  const performance = ratio(acc.idealMs, run);
  const quality = ratio(good, total);
  // OEE is fully productive time over planned time, so it is defined whenever time was planned: a
  // planned period without a part is 0 %, not "unknown". Where run time or parts are 0 the factor
  // that is undefined (P or Q) sits next to one that is 0, so the product is 0 either way.
  const oee = planned > 0 ? (availability ?? 0) * (performance ?? 0) * (quality ?? 0) : null;
  const flags: string[] = [];
  if (performance !== null && performance > 1) flags.push('performance-over-100');
  if (acc.excludedParts > 0) flags.push('parts-excluded-communication-loss');
  if (acc.implausibleJumps > 0) flags.push('implausible-counter-jump');
  if (acc.reject > total) flags.push('rejects-exceed-total');
  return {
    times: { elapsed, plannedStop, unknown: m.unknown, planned, stop, run, ideal: acc.idealMs, availabilityLoss, performanceLoss, plannedDowntime, states: { ...m } },
    counts: { total, good, reject, excluded: acc.excludedParts, implausibleJumps: acc.implausibleJumps },
    availability,
    performance,
    quality,
    oee,
    flags,
  };
}
