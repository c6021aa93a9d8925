// The pipeline over replay lines on a virtual clock: no timers, no wall clock, no files written,
// so the same input and config give the same bytes. The clock moves to each line's instant, and at
// the end to `until` when the input says where it ends, so periods up to then close.
import type { ReplayConfig } from '../../config/schema/replay.ts';
import type { Reading } from '../../drivers/driver.ts';
import type { CommandResult, MachineEvent } from '../events.ts';
import { applyCommand } from '../commands/apply.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import type { ReplayLine } from './input.ts';

export interface ReplayOptions {
  /** Where the input ends (ms, not before the last line): the clock runs on to here. */
  until?: number;
}

/** Run the lines through a fresh pipeline; `write` gets each event as one JSON line. */
export function replay(config: ReplayConfig, lines: ReplayLine[], write: (line: string) => void, opts: ReplayOptions = {}): number {
  if (!lines.length) return 0;
  let count = 0;
  const out = (events: MachineEvent[]) => {
    for (const e of events) {
      count++;
      write(JSON.stringify({ ts: new Date(e.ts).toISOString(), machine: e.machine, kind: e.kind, schema: e.schema, body: e.body }));
    }
  };
  const pipeline = new Pipeline({ config, sink: { publish: out }, now: lines[0]!.ts });
  // Accepted commands by machine, name and id: a repeated id is answered, not applied again, as on MQTT.
  const accepted = new Map<string, CommandResult>();
  let clock = lines[0]!.ts;
  for (let i = 0; i < lines.length; ) {
    const first = lines[i]!;
    // The agent's clock ticks every second; the virtual one ticks whenever time moves on.
    if (first.ts > clock) {
      clock = first.ts;
      pipeline.tick(clock);
    }
    if ('reading' in first) {
      // Readings of one machine at one instant form one poll.
      const batch: Reading[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        if (!('reading' in l) || l.ts !== first.ts || l.machine !== first.machine) break;
        batch.push(l.reading);
        i++;
      }
      pipeline.readings(first.machine, batch);
      continue;
    }
    i++;
    if ('link' in first) {
      pipeline.link(first.machine, { state: first.link, since: first.ts, reconnects: 0, polls: 0, pollErrors: 0, overruns: 0 });
      continue;
    }
    const key = `${first.machine}/${first.command.name}/${first.command.commandId}`;
    const seen = accepted.get(key);
    const result = seen ? { ...seen, duplicate: true } : applyCommand(pipeline, first.machine, first.command, first.ts);
    if (!seen && result.ok) accepted.set(key, result);
    write(JSON.stringify({ ts: new Date(first.ts).toISOString(), machine: first.machine, kind: 'reply', body: result }));
  }
  if (opts.until !== undefined) {
    if (opts.until > clock) clock = opts.until;
    // The user says the export ends here: the last values hold until then, not just until the last line.
    pipeline.dataComplete(clock);
  }
  // The last figures of the periods still open, so every replay ends with a full picture.
  pipeline.tick(clock);
  pipeline.publishLive(clock);
  return count;
}
