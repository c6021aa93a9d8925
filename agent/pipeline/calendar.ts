// The shift calendar as pure math: which shift runs at an instant, when planned production
// time starts and stops, and where hour periods begin, in the configured timezone (Intl; DST
// included). Wall-clock times that do not exist (spring forward) move forward by the gap;
// ambiguous ones (fall back) resolve to the later instant.
import type { ShiftsConfig } from '../../config/schema/index.ts';

export interface Interval {
  start: number;
  end: number;
}

export interface ShiftInstance extends Interval {
  name: string;
  /** Local date the shift starts on (YYYY-MM-DD). */
  date: string;
  breaks: Interval[];
}

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEEKDAY = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

interface ShiftDef {
  name: string;
  start: number;
  end: number;
  breaks: Array<{ start: number; duration: number }>;
}

export class ShiftCalendar {
  readonly timezone: string;
  #cfg: ShiftsConfig;
  #fmt: Intl.DateTimeFormat;
  #holidays: Set<string>;
  #overrides: Map<string, ShiftDef[]>;
  #days = new Map<string, ShiftInstance[]>();
  #offsets = new Map<number, number>();

  constructor(cfg: ShiftsConfig) {
    this.#cfg = cfg;
    this.timezone = cfg.timezone;
    this.#fmt = new Intl.DateTimeFormat('en-US', { timeZone: cfg.timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    this.#holidays = new Set(cfg.holidays);
    this.#overrides = new Map(cfg.overrides.map((o) => [o.date, o.shifts]));
  }

  /** True when shifts are configured; without them all time is planned. */
  get hasShifts(): boolean {
    return this.#cfg.shifts.length > 0 || this.#overrides.size > 0;
  }

  /** Offset of local time from UTC at `t` (ms). */
  offsetAt(t: number): number {
    // Offsets change on whole minutes at most every few months; cache by quarter hour.
    const key = Math.floor(t / (15 * MIN));
    let o = this.#offsets.get(key);
    if (o === undefined) {
      const p = this.#parts(key * 15 * MIN);
      o = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - key * 15 * MIN;
      if (this.#offsets.size > 10_000) this.#offsets.clear();
      this.#offsets.set(key, o);
    }
    return o;
  }

  /** Local calendar date (YYYY-MM-DD) of `t`. */
  localDate(t: number): string {
    return new Date(t + this.offsetAt(t)).toISOString().slice(0, 10);
  }

  /** The instant of wall-clock `minutes` after midnight of local `date` (+ `plusDays`). */
  toInstant(date: string, minutes: number, plusDays = 0): number {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const wall = Date.UTC(y, m - 1, d + plusDays) + minutes * MIN;
    // The offsets in force a day either side cover any change next to this wall time; a
    // candidate is real when its own offset is the one used. Two real ones: the repeated hour
    // (take the later); none: the time is in a gap, and the offset before the gap moves it forward.
    const candidates = [this.offsetAt(wall - DAY), this.offsetAt(wall + DAY)].map((o) => ({ t: wall - o, real: this.offsetAt(wall - o) === o }));
    const real = candidates.filter((c) => c.real);
    return Math.max(...(real.length ? real : candidates).map((c) => c.t));
  }

  /** Shifts that start on local `date`, in start order. */
  shiftsStartingOn(date: string): ShiftInstance[] {
    let list = this.#days.get(date);
    if (list) return list;
    list = this.#defsFor(date).map((s) => {
      const start = this.toInstant(date, s.start);
      const end = this.toInstant(date, s.end, s.end <= s.start ? 1 : 0);
      const breaks = s.breaks
        .map((b) => {
          const bs = this.toInstant(date, b.start, b.start < s.start ? 1 : 0);
          return { start: Math.max(start, bs), end: Math.min(end, bs + b.duration) };
        })
        .filter((b) => b.end > b.start)
        .sort((a, b) => a.start - b.start);
      return { name: s.name, date, start, end, breaks };
    });
    list.sort((a, b) => a.start - b.start);
    if (this.#days.size > 400) this.#days.clear();
    this.#days.set(date, list);
    return list;
  }

  /** The shift running at `t` (start ≤ t < end), if any. */
  shiftAt(t: number): ShiftInstance | undefined {
    const today = this.localDate(t);
    for (const date of [addDays(today, -1), today]) {
      for (const s of this.shiftsStartingOn(date)) if (s.start <= t && t < s.end) return s;
    }
    return undefined;
  }

  /** Planned production at `t`: inside a shift and not in one of its breaks (always, without shifts). */
  isPlanned(t: number): boolean {
    if (!this.hasShifts) return true;
    const s = this.shiftAt(t);
    return s !== undefined && !s.breaks.some((b) => b.start <= t && t < b.end);
  }

  /** The next instant after `t` at which the shift or the planned status may change. */
  nextChange(t: number): number {
    if (!this.hasShifts) return Number.POSITIVE_INFINITY;
    const today = this.localDate(t);
    let best = this.toInstant(today, 0, 2);
    for (const date of [addDays(today, -1), today, addDays(today, 1)]) {
      for (const s of this.shiftsStartingOn(date)) {
        for (const x of [s.start, s.end, ...s.breaks.flatMap((b) => [b.start, b.end])]) if (x > t && x < best) best = x;
      }
    }
    return best;
  }

  /** Start of the local clock hour containing `t`. */
  hourStart(t: number): number {
    const o = this.offsetAt(t);
    return Math.floor((t + o) / HOUR) * HOUR - o;
  }

  /** Start of the next local clock hour after `t`. */
  nextHour(t: number): number {
    const o = this.offsetAt(t);
    const next = (Math.floor((t + o) / HOUR) + 1) * HOUR - o;
    // Offset changes are whole hours in practice, so the boundary stays on the same minute.
    return next > t ? next : next + HOUR;
  }

  #defsFor(date: string): ShiftDef[] {
    if (this.#holidays.has(date)) return [];
    const override = this.#overrides.get(date);
    if (override) return override;
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const weekday = WEEKDAY[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]!;
    return this.#cfg.shifts.filter((s) => (s.days as readonly string[]).includes(weekday));
  }

  #parts(t: number) {
    const out = { y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0 };
    for (const p of this.#fmt.formatToParts(t)) {
      if (p.type === 'year') out.y = Number(p.value);
      else if (p.type === 'month') out.mo = Number(p.value);
      else if (p.type === 'day') out.d = Number(p.value);
      else if (p.type === 'hour') out.h = Number(p.value);
      else if (p.type === 'minute') out.mi = Number(p.value);
      else if (p.type === 'second') out.s = Number(p.value);
    }
    return out;
  }
}

export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

export { DAY, HOUR };
