// A stand-in for the outbox until it is wired: logs each event at debug level and counts them.
import type { EventSink, MachineEvent } from '../events.ts';
import type { Logger } from '../log.ts';

export class LoggingEventSink implements EventSink {
  readonly counts: Record<string, number> = {};
  #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  publish(events: MachineEvent[]): void {
    for (const e of events) {
      this.counts[e.kind] = (this.counts[e.kind] ?? 0) + 1;
      if (this.#log.isLevelEnabled('debug')) this.#log.debug({ machine: e.machine, kind: e.kind, schema: e.schema, ts: e.ts, body: e.body }, 'pipeline event');
    }
  }
}
