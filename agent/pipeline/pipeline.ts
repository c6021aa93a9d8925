// Every machine's pipeline behind the runtime's seams: readings and link changes come in as a
// MachineSink, commands as a CommandTarget, and whatever one call produces goes to the
// EventSink in one batch (so the outbox can append it in one transaction).
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { Reading } from '../../drivers/driver.ts';
import type { CommandResult, CommandTarget, EventSink, JobOrder, MachineEvent } from '../events.ts';
import type { LinkStatus, MachineSink } from '../machines/link-status.ts';
import { ShiftCalendar } from './calendar.ts';
import { MachinePipeline, type MachineSnapshot } from './machine-pipeline.ts';

/** Events held while the sink refuses them. */
const MAX_PENDING = 100_000;

export interface PipelineOptions {
  config: Pick<LinesideConfig, 'machines' | 'shifts' | 'oee' | 'reasons'>;
  sink: EventSink;
  now: number;
  /** Saved machine states by machine id (see pipeline-store). */
  snapshots?: ReadonlyMap<string, MachineSnapshot>;
}

export class Pipeline implements MachineSink, CommandTarget {
  readonly calendar: ShiftCalendar;
  /** Machines whose saved state could not be restored and started fresh. */
  readonly restoreProblems: Array<{ machine: string; error: string }> = [];
  /** Events dropped because the sink refused them for too long. */
  droppedEvents = 0;
  #machines = new Map<string, MachinePipeline>();
  #sink: EventSink;
  #batch: MachineEvent[] = [];
  #dirty = new Set<string>();

  constructor(o: PipelineOptions) {
    this.#sink = o.sink;
    this.calendar = new ShiftCalendar(o.config.shifts);
    for (const machine of o.config.machines) {
      const snapshot = o.snapshots?.get(machine.id);
      const base = { machine, config: o.config, calendar: this.calendar, now: o.now, emit: (e: MachineEvent) => this.#batch.push(e) };
      let m: MachinePipeline;
      const mark = this.#batch.length;
      try {
        m = new MachinePipeline(snapshot ? { ...base, snapshot } : base);
      } catch (err) {
        // A saved state that no longer fits (damaged, or from another version) must not keep the agent down.
        this.#batch.length = mark;
        this.restoreProblems.push({ machine: machine.id, error: err instanceof Error ? err.message : String(err) });
        m = new MachinePipeline(base);
      }
      this.#machines.set(machine.id, m);
    }
    this.#flush();
  }

  machine(id: string): MachinePipeline | undefined {
    return this.#machines.get(id);
  }

  get machineIds(): string[] {
    return [...this.#machines.keys()];
  }

  /** Events emitted but not yet accepted by the sink (held in memory; counted as buffered). */
  get pendingEvents(): number {
    return this.#batch.length;
  }

  readings(machine: string, readings: Reading[]): void {
    const m = this.#machines.get(machine);
    if (!m) return;
    this.#dirty.add(machine);
    this.#run(() => m.readings(readings));
  }

  link(machine: string, status: Readonly<LinkStatus>): void {
    const m = this.#machines.get(machine);
    if (!m) return;
    this.#dirty.add(machine);
    this.#run(() => m.link(status));
  }

  /** Advance every machine's clock: period boundaries, staleness, debounce, live figures. */
  tick(now: number): void {
    this.#run(() => {
      for (const [id, m] of this.#machines) {
        this.#dirty.add(id);
        m.tick(now);
      }
    });
  }

  /** The input holds every reading up to `t` (the end of a replayed export). */
  dataComplete(t: number): void {
    this.#run(() => {
      for (const m of this.#machines.values()) m.dataComplete(t);
    });
  }

  /** Publish every machine's live figures now (end of a replay). */
  publishLive(now: number): void {
    this.#run(() => {
      for (const m of this.#machines.values()) m.publishLive(now);
    });
  }

  startJob(machine: string, job: JobOrder, at: number): CommandResult {
    return this.#command(machine, (m) => m.startJob(job, at));
  }

  endJob(machine: string, orderId: string, at: number): CommandResult {
    return this.#command(machine, (m) => m.endJob(orderId, at));
  }

  assignDowntimeReason(machine: string, eventId: string, reasonCode: string, at: number, note?: { text?: string; by?: string }): CommandResult {
    return this.#command(machine, (m) => m.assignDowntimeReason(eventId, reasonCode, at, note));
  }

  /** Snapshots of the machines changed since the last call (for persistence). */
  takeDirty(): Map<string, MachineSnapshot> {
    const out = new Map<string, MachineSnapshot>();
    for (const id of this.#dirty) out.set(id, this.#machines.get(id)!.snapshot());
    this.#dirty.clear();
    return out;
  }

  /** Snapshots of the named machines (unknown ids are skipped). */
  snapshotsOf(ids: Iterable<string>): Map<string, MachineSnapshot> {
    const out = new Map<string, MachineSnapshot>();
    for (const id of ids) {
      const m = this.#machines.get(id);
      if (m) out.set(id, m.snapshot());
    }
    return out;
  }

  snapshots(): Map<string, MachineSnapshot> {
    return new Map([...this.#machines].map(([id, m]) => [id, m.snapshot()]));
  }

  #command(machine: string, fn: (m: MachinePipeline) => CommandResult): CommandResult {
    const m = this.#machines.get(machine);
    if (!m) return { ok: false, code: 'unknown-machine', reason: `no machine ${machine} on this agent` };
    this.#dirty.add(machine);
    let result: CommandResult = { ok: false, code: 'internal', reason: 'not run' };
    this.#run(() => (result = fn(m)));
    return result;
  }

  #run(fn: () => void): void {
    try {
      fn();
    } finally {
      this.#flush();
    }
  }

  #flush(): void {
    if (!this.#batch.length) return;
    const events = this.#batch;
    this.#batch = [];
    try {
      this.#sink.publish(events);
    } catch (err) {
      // Not durable yet: keep them for the next flush (bounded, oldest dropped first) and let the caller log it.
      this.#batch = events.concat(this.#batch);
      if (this.#batch.length > MAX_PENDING) {
        this.droppedEvents += this.#batch.length - MAX_PENDING;
        this.#batch.splice(0, this.#batch.length - MAX_PENDING);
      }
      throw err;
    }
  }
}
