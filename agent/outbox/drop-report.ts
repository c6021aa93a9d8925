// What a bound dropped, tallied per machine, and the drop report that explains it to every
// destination: which seqs are gone on purpose, and which of them may have arrived anyway
// (handed to a destination that never confirmed it, or confirmed by one destination only).
import type { MachineEvent } from '../events.ts';
import { DROP_REPORT_SCHEMA, type DropReport } from '../contract/status.ts';
import { IntervalSet } from './interval-set.ts';

export type DropReason = 'maxBytes' | 'maxAge' | 'diskFull' | 'fileCorrupt';

/** What was dropped from one machine in one round. */
export interface MachineDrops {
  count: number;
  byKind: Record<string, number>;
  seqs: IntervalSet;
  maybeDelivered: IntervalSet;
  fromTs: number;
  toTs: number;
}

export class DropTally {
  readonly byMachine = new Map<string, MachineDrops>();
  readonly rows: Array<{ seq: number; machine: string; kind: string }> = [];
  total = 0;
  bytes = 0;
  readonly #maybeDelivered: (seq: number) => boolean;

  constructor(maybeDelivered: (seq: number) => boolean = () => false) {
    this.#maybeDelivered = maybeDelivered;
  }

  /** `seq` 0: a message that never got one (dropped from memory before its commit). */
  add(machine: string, kind: string, seq: number, ts: number, size: number): void {
    let d = this.byMachine.get(machine);
    if (!d) {
      d = { count: 0, byKind: {}, seqs: new IntervalSet(), maybeDelivered: new IntervalSet(), fromTs: ts, toTs: ts };
      this.byMachine.set(machine, d);
    }
    d.count++;
    d.byKind[kind] = (d.byKind[kind] ?? 0) + 1;
    if (seq > 0) {
      d.seqs.add(seq);
      if (this.#maybeDelivered(seq)) d.maybeDelivered.add(seq);
      this.rows.push({ seq, machine, kind });
    }
    d.fromTs = Math.min(d.fromTs, ts);
    d.toTs = Math.max(d.toTs, ts);
    this.total++;
    this.bytes += size;
  }
}

/** One report per machine, stamped `now`. */
export function dropReports(reason: DropReason, tally: DropTally, now: number): MachineEvent[] {
  const out: MachineEvent[] = [];
  for (const [machine, d] of tally.byMachine) {
    const ranges = d.seqs.ranges;
    const body: DropReport = {
      event: 'outbox-drop', reason, count: d.count, byKind: d.byKind,
      firstSeq: ranges[0]?.[0] ?? 0, lastSeq: ranges.at(-1)?.[1] ?? 0,
      seqs: ranges.map(([a, b]) => [a, b]), maybeDelivered: d.maybeDelivered.ranges.map(([a, b]) => [a, b]),
      fromTs: new Date(d.fromTs).toISOString(), toTs: new Date(d.toTs).toISOString(),
    };
    out.push({ kind: 'event', machine, schema: DROP_REPORT_SCHEMA, ts: now, body: body as unknown as Record<string, unknown> });
  }
  return out;
}
