// The latest reading of every tag and the link state of every machine, in memory.
// Feeds the status views (HTTP API, demo) without going through SQLite.
import type { Reading } from '../../drivers/driver.ts';
import type { Incident } from '../lifecycle/incident.ts';
import type { LinkStatus, MachineSink } from './link-status.ts';

export interface MachineLive {
  link?: Readonly<LinkStatus>;
  tags: Record<string, Reading>;
  readings: number;
}

export class LiveValues implements MachineSink {
  #machines = new Map<string, Machine>();

  readings(machine: string, readings: Reading[]): void {
    this.#get(machine).take(readings);
  }

  link(machine: string, status: Readonly<LinkStatus>): void {
    this.#get(machine).link = status;
  }

  get(machine: string): MachineLive | undefined {
    return this.#machines.get(machine);
  }

  #get(machine: string): Machine {
    let m = this.#machines.get(machine);
    if (!m) this.#machines.set(machine, (m = new Machine()));
    return m;
  }
}

interface Slot {
  tag: string;
  reading: Reading;
}

/**
 * One machine's latest readings, a slot per tag updated in place. `tags` is built when a view
 * asks for it (now and then), not kept up to date on every poll.
 */
class Machine implements MachineLive {
  link?: Readonly<LinkStatus>;
  readings = 0;
  /** Slots in the order their tags first came. */
  #slots: Slot[] = [];
  #byTag = new Map<string, Slot>();
  /** The slot of each reading of the last poll: a machine's polls come in the same order, so most need no lookup. */
  #hint: Slot[] = [];

  get tags(): Record<string, Reading> {
    const tags: Record<string, Reading> = {};
    for (const s of this.#slots) tags[s.tag] = s.reading;
    return tags;
  }

  take(readings: Reading[]): void {
    const hint = this.#hint;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const s = hint[i];
      if (s !== undefined && s.tag === r.tag) s.reading = r;
      else hint[i] = this.#slot(r);
    }
    this.readings += readings.length;
  }

  #slot(r: Reading): Slot {
    let s = this.#byTag.get(r.tag);
    if (s) s.reading = r;
    else {
      s = { tag: r.tag, reading: r };
      this.#byTag.set(r.tag, s);
      this.#slots.push(s);
    }
    return s;
  }
}

/**
 * Fan one stream of readings out to several sinks; a throwing sink does not starve the others,
 * and a sink that fails on every poll is one incident in the log, not one line per poll.
 */
export function fanOut(sinks: ReadonlyArray<{ sink: MachineSink; failures: Incident }>): MachineSink {
  return {
    // try/catch here rather than Incident.run(): no closure per sink and poll on this hot path.
    readings(machine, readings) {
      for (const { sink, failures } of sinks) {
        try {
          sink.readings(machine, readings);
          failures.ok();
        } catch (err) {
          failures.fail(err, { machine });
        }
      }
    },
    link(machine, status) {
      for (const { sink, failures } of sinks) {
        try {
          sink.link(machine, status);
          failures.ok();
        } catch (err) {
          failures.fail(err, { machine });
        }
      }
    },
  };
}
