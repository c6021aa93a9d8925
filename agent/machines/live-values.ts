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
  #machines = new Map<string, MachineLive>();

  readings(machine: string, readings: Reading[]): void {
    const m = this.#get(machine);
    for (const r of readings) m.tags[r.tag] = r;
    m.readings += readings.length;
  }

  link(machine: string, status: Readonly<LinkStatus>): void {
    this.#get(machine).link = status;
  }

  get(machine: string): MachineLive | undefined {
    return this.#machines.get(machine);
  }

  #get(machine: string): MachineLive {
    let m = this.#machines.get(machine);
    if (!m) this.#machines.set(machine, (m = { tags: {}, readings: 0 }));
    return m;
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
