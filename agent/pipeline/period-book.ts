// The open and recently closed OEE periods of one machine. Shift and hour periods open by
// themselves when time reaches them (from the calendar); job periods are opened by the job
// tracker. Time is added in spans that never cross a period boundary.
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { ShiftCalendar, ShiftInstance } from './calendar.ts';
import { iso } from './downtime.ts';
import { emptyAccum } from './oee.ts';
import type { BatchCounts } from './counts.ts';
import { contains, type Period } from './periods.ts';
import type { MachineState } from './state.ts';

/** Closed periods stay in memory (and in the saved state) this long so a late reason can re-issue them. */
export const REISSUE_WINDOW = 24 * 3_600_000;
const KEEP_CLOSED = 200;

export class PeriodBook {
  open: Period[];
  closed: Period[];
  #kinds: LinesideConfig['oee']['periods'];
  #cal: ShiftCalendar;
  #shiftCache: { from: number; to: number; inst: ShiftInstance | undefined } | undefined;

  constructor(cal: ShiftCalendar, kinds: LinesideConfig['oee']['periods'], open: Period[] = [], closed: Period[] = []) {
    this.#cal = cal;
    this.#kinds = kinds;
    this.open = open;
    this.closed = closed;
  }

  /** Open the shift and hour periods containing `t`. Time before `accounted` was not seen: unknown. */
  ensure(t: number, accounted: number): void {
    if (this.#kinds.includes('shift')) {
      const inst = this.#shift(t).inst;
      if (inst && !this.open.some((p) => p.kind === 'shift' && contains(p, t))) {
        this.#add({ id: `shift:${inst.name}:${inst.date}`, kind: 'shift', name: inst.name, start: inst.start, end: inst.end, acc: emptyAccum(), revision: 0 }, accounted);
      }
    }
    if (this.#kinds.includes('hour') && !this.open.some((p) => p.kind === 'hour' && contains(p, t))) {
      const start = this.#cal.hourStart(t);
      this.#add({ id: `hour:${iso(start)}`, kind: 'hour', start, end: this.#cal.nextHour(start), acc: emptyAccum(), revision: 0 }, accounted);
    }
  }

  openJob(p: Period): void {
    this.open.push(p);
  }

  /** Where a span of time from `a` must stop so that it lies within one period of each kind. */
  spanEnd(a: number, until: number): number {
    let b = Math.min(until, this.#shift(a).to, this.#cal.nextHour(a));
    for (const p of this.open) if (p.end !== null && p.end > a && p.end < b) b = p.end;
    return b;
  }

  addTime(a: number, ms: number, state: MachineState, downtimeId: string | undefined): void {
    // Spans never cross a calendar change (spanEnd), so the start tells for the whole span.
    const unplanned = state === 'unknown' && !this.#cal.isPlanned(a);
    for (const p of this.open) {
      if (!contains(p, a)) continue;
      p.acc.ms[state] += ms;
      if (unplanned) p.acc.unknownUnplanned = (p.acc.unknownUnplanned ?? 0) + ms;
      if (downtimeId !== undefined) p.acc.downtime[downtimeId] = (p.acc.downtime[downtimeId] ?? 0) + ms;
    }
  }

  addCounts(ts: number, accounted: number, c: BatchCounts, idealCycleTime: number): void {
    this.ensure(ts, accounted);
    for (const p of this.open) {
      if (!contains(p, ts)) continue;
      p.acc.total += c.total;
      p.acc.reject += c.reject;
      p.acc.idealMs += idealCycleTime * c.total;
      p.acc.excludedParts += c.excluded;
      p.acc.implausibleJumps += c.jumps;
    }
  }

  /** Move the periods that ended by `t` to the closed list (revision 1) and return them. */
  close(t: number): Period[] {
    const ended = this.open.filter((p) => p.end !== null && p.end <= t);
    if (!ended.length) return ended;
    this.open = this.open.filter((p) => !ended.includes(p));
    for (const p of ended) p.revision = 1;
    this.closed.push(...ended);
    this.closed = this.closed.filter((p) => p.end! >= t - REISSUE_WINDOW).slice(-KEEP_CLOSED);
    return ended;
  }

  /** Start of the oldest period still kept; downtime that ended before it is no longer needed. */
  oldestStart(): number {
    return Math.min(this.closed[0]?.start ?? Number.POSITIVE_INFINITY, ...this.open.map((p) => p.start));
  }

  find(id: string): Period | undefined {
    return this.open.find((p) => p.id === id) ?? this.closed.find((p) => p.id === id);
  }

  #add(p: Period, accounted: number): void {
    if (this.closed.some((x) => x.id === p.id)) return;
    if (p.start < accounted) {
      p.acc.ms.unknown += accounted - p.start;
      // The calendar still tells which of that unseen time was not planned production.
      for (let t = p.start; t < accounted; ) {
        const next = Math.min(this.#cal.nextChange(t), accounted);
        if (!this.#cal.isPlanned(t)) p.acc.unknownUnplanned = (p.acc.unknownUnplanned ?? 0) + next - t;
        t = next;
      }
    }
    this.open.push(p);
  }

  #shift(t: number): { from: number; to: number; inst: ShiftInstance | undefined } {
    const c = this.#shiftCache;
    if (c && c.from <= t && t < c.to) return c;
    return (this.#shiftCache = { from: t, to: this.#cal.nextChange(t), inst: this.#cal.shiftAt(t) });
  }
}
