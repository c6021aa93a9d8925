// Replay input after validation, and the checks every input format shares: time order, timestamps
// read in the calendar's time zone, known machines, reading values. A problem is kept with its line
// number and nothing is replayed while there is one, so a bad file never half-runs.
import type { ReplayConfig } from '../../config/schema/replay.ts';
import type { MachineConfig } from '../../config/schema/index.ts';
import { closestKey } from '../../config/closest-key.ts';
import type { Reading } from '../../drivers/driver.ts';
import { ShiftCalendar } from '../pipeline/calendar.ts';
import type { ReplayCommand } from './commands.ts';
import { readTimestamp } from './timestamps.ts';

export type ReplayLine =
  | { ts: number; machine: string; reading: Reading }
  | { ts: number; machine: string; link: 'connected' | 'disconnected' }
  | { ts: number; machine: string; command: ReplayCommand };

export interface ReplayInput {
  lines: ReplayLine[];
  problems: string[];
}

const QUALITIES = new Set(['good', 'bad', 'uncertain']);

export class InputBuilder implements ReplayInput {
  readonly lines: ReplayLine[] = [];
  readonly problems: string[] = [];
  readonly calendar: ShiftCalendar;
  #machines: Map<string, MachineConfig>;
  #last = Number.NEGATIVE_INFINITY;

  constructor(config: ReplayConfig) {
    this.calendar = new ShiftCalendar(config.shifts);
    this.#machines = new Map(config.machines.map((m) => [m.id, m]));
  }

  /** Instant of the last line accepted so far. */
  get lastTs(): number {
    return this.#last;
  }

  problem(line: number, field: string | undefined, message: string): undefined {
    this.problems.push(`line ${line}: ${field ? `${field}: ` : ''}${message}`);
    return undefined;
  }

  /** Fields outside `allowed` are problems, each named, so a misspelt one is never ignored. */
  unknownFields(line: number, keys: Iterable<string>, allowed: readonly string[], prefix = ''): boolean {
    let found = false;
    for (const key of keys) {
      if (allowed.includes(key)) continue;
      const near = closestKey(key, allowed);
      this.problem(line, `${prefix}${key}`, near ? `unknown field; did you mean "${near}"?` : `unknown field; expected ${allowed.join(', ')}`);
      found = true;
    }
    return found;
  }

  /** The line's instant, which must not be before the line before it. */
  time(line: number, field: string, value: unknown): number | undefined {
    const stamp = readTimestamp(value, this.calendar, this.#last);
    if ('problem' in stamp) return this.problem(line, field, stamp.problem);
    if (stamp.at < this.#last) return this.problem(line, field, 'goes back in time (lines must be in time order)');
    this.#last = stamp.at;
    return stamp.at;
  }

  machine(line: number, value: unknown): MachineConfig | undefined {
    const m = typeof value === 'string' ? this.#machines.get(value) : undefined;
    return m ?? this.problem(line, 'machine', `expected one of ${[...this.#machines.keys()].join(', ')}, got ${JSON.stringify(value)}`);
  }

  reading(line: number, ts: number, machine: string, tag: string, value: unknown, quality: unknown): void {
    if (!(value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string')) return void this.problem(line, 'value', 'expected a number, boolean, string or null');
    if (typeof quality !== 'string' || !QUALITIES.has(quality)) return void this.problem(line, 'quality', `expected good | bad | uncertain, got ${JSON.stringify(quality)}`);
    this.lines.push({ ts, machine, reading: { tag, value, quality: quality as Reading['quality'], ts } });
  }

  push(line: ReplayLine): void {
    this.lines.push(line);
  }
}
