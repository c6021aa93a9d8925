// A real outbox file as the pipeline's sink, recording what the pipeline published.
import pino from 'pino';
import type { MachineEvent, TransactionalSink } from '../../agent/events.ts';
import type { Logger } from '../../agent/log.ts';
import { Outbox } from '../../agent/outbox/outbox.ts';

export interface RecordingSink extends TransactionalSink {
  outbox: Outbox;
  events: MachineEvent[];
}

/**
 * The outbox in `dir`, opened but not started: nothing commits on a timer, only on flush() or
 * close(). Abandoning it without close() is a crash: what was not committed is gone.
 */
export function outboxSink(dir: string, opts: { log?: Logger; onPublish?: (events: MachineEvent[]) => void } = {}): RecordingSink {
  const outbox = new Outbox({ dataDir: dir, synchronous: 'normal', commitInterval: 10, maxBytes: 1 << 30, maxAge: 7 * 86_400_000, log: opts.log ?? pino({ level: 'silent' }) });
  outbox.open();
  const events: MachineEvent[] = [];
  return {
    outbox,
    events,
    publish(e, state) {
      events.push(...e);
      outbox.publish(e, state);
      opts.onPublish?.(e);
    },
    flush: () => outbox.flush(),
    loadState: () => outbox.loadState(),
  };
}
