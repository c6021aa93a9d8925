// The pipeline at run time: restores the state committed last in the outbox, feeds the pipeline
// readings and link changes from the machine runners, and advances its clock once a second
// (period boundaries, staleness, debounce and live OEE are computed by the pure pipeline from
// that clock). Every batch of facts goes to the outbox together with the state of the machines
// that emitted them, so both commit in one transaction. History pruning is housekeeping, run on
// the plant's schedule (agent/housekeeping) through pruneHistory().
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { Reading } from '../../drivers/driver.ts';
import type { CommandResult, CommandTarget, EventSink, JobOrder, MachineEvent, TransactionalSink } from '../events.ts';
import type { Logger } from '../log.ts';
import type { Component } from '../lifecycle/component.ts';
import { Incidents, type Incident } from '../lifecycle/incident.ts';
import type { LinkStatus, MachineSink } from '../machines/link-status.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { parseSnapshots, serialise, type RestoreProblem } from './snapshots.ts';
import { PipelineStore } from './store.ts';

export interface PipelineComponentOptions {
  config: LinesideConfig;
  log: Logger;
  /** Where events and the state they leave behind go (the outbox), and where that state comes back from. */
  sink: TransactionalSink;
  now?: () => number;
  tickMs?: number;
  /** How often the state of machines that only sent telemetry is saved too (ms). */
  saveEveryMs?: number;
  /** Where repeated failures are tracked; one log line per incident. */
  incidents?: Incidents;
}

export class PipelineComponent implements Component, MachineSink, CommandTarget {
  readonly name = 'pipeline';
  #o: PipelineComponentOptions;
  #now: () => number;
  #pipeline: Pipeline | undefined;
  #store: PipelineStore | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastSave = 0;
  #failures: { tick: Incident; history: Incident };

  constructor(o: PipelineComponentOptions) {
    this.#o = o;
    const incidents = o.incidents ?? new Incidents(o.log);
    this.#failures = {
      tick: incidents.get({ name: 'pipeline-tick', failed: 'pipeline tick failed', meanwhile: 'retrying every tick' }),
      history: incidents.get({ name: 'history-write', failed: 'writing pipeline history failed', meanwhile: 'events still go to the outbox; the read API misses what was not written' }),
    };
    this.#now = o.now ?? Date.now;
  }

  get pipeline(): Pipeline | undefined {
    return this.#pipeline;
  }

  /** Events the pipeline still holds in memory, not yet in the outbox. */
  get pendingEvents(): number {
    return this.#pipeline?.pendingEvents ?? 0;
  }

  get store(): PipelineStore | undefined {
    return this.#store;
  }

  async start(): Promise<void> {
    const { config, log } = this.#o;
    const store = openStore(join(config.agent.dataDir, 'state.db'), log);
    this.#store = store;
    try {
      const problems: RestoreProblem[] = [];
      const snapshots = parseSnapshots(this.#savedState(store), problems);
      const now = this.#now();
      const sink: EventSink = {
        publish: (events) => {
          // The outbox first: it is the path to the MES and holds events in memory when the disk
          // is full. History serves the read API only; failing to write it must not hold events back.
          this.#o.sink.publish(events, this.#stateAfter(events));
          this.#failures.history.run(() => store.record(events));
        },
      };
      const pipeline = new Pipeline({ config, sink, now, snapshots });
      this.#pipeline = pipeline;
      // The restore emitted events (the down time as unknown) before the pipeline could be asked for its state.
      this.#o.sink.publish([], serialise(pipeline.snapshots()));
      for (const p of [...problems, ...pipeline.restoreProblems]) log.warn({ machine: p.machine, err: p.error }, 'saved pipeline state not usable; the machine starts fresh');
      if (snapshots.size) log.info({ machines: [...snapshots.keys()] }, 'pipeline state restored; the time the agent was down counts as unknown');
      this.#lastSave = now;
    } catch (err) {
      store.close();
      this.#store = undefined;
      throw err;
    }
    const every = this.#o.tickMs ?? 1000;
    this.#timer = setInterval(() => this.#tick(), every);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    const p = this.#pipeline;
    const store = this.#store;
    this.#pipeline = undefined;
    this.#store = undefined;
    if (p) {
      p.tick(this.#now());
      this.#o.sink.publish([], serialise(p.snapshots()));
      this.#o.sink.flush?.();
    }
    store?.close();
  }

  readings(machine: string, readings: Reading[]): void {
    this.#pipeline?.readings(machine, readings);
  }

  link(machine: string, status: Readonly<LinkStatus>): void {
    this.#pipeline?.link(machine, status);
  }

  startJob(machine: string, job: JobOrder, at: number): CommandResult {
    return this.#command(this.#pipeline?.startJob(machine, job, at));
  }

  endJob(machine: string, orderId: string, at: number): CommandResult {
    return this.#command(this.#pipeline?.endJob(machine, orderId, at));
  }

  assignDowntimeReason(machine: string, eventId: string, reasonCode: string, at: number, note?: { text?: string; by?: string }): CommandResult {
    return this.#command(this.#pipeline?.assignDowntimeReason(machine, eventId, reasonCode, at, note));
  }

  /** Drop history older than history.retention; returns rows removed (0 while not running). */
  pruneHistory(): number {
    return this.#store?.prune(this.#now() - this.#o.config.history.retention) ?? 0;
  }

  #command(result: CommandResult | undefined): CommandResult {
    if (!result) return NOT_RUNNING;
    // The command's events and state commit before its reply is remembered: the MES never sees
    // "accepted" for a command a crash could forget.
    if (result.ok) this.#o.sink.flush?.();
    return result;
  }

  /**
   * The state of every machine that emitted a fact (anything but telemetry) in this batch. The
   * pipeline hands a batch over once the call that produced it is done, so each state is the
   * one right after these events. Telemetry alone changes no published fact: those machines'
   * state is saved every saveEveryMs instead, and a restart from the older state is consistent
   * with every fact sent since it.
   */
  #stateAfter(events: MachineEvent[]): Map<string, string> | undefined {
    const p = this.#pipeline;
    if (!p) return undefined;
    let ids: Set<string> | undefined;
    for (const e of events) if (e.kind !== 'telemetry') (ids ??= new Set()).add(e.machine);
    return ids && serialise(p.snapshotsOf(ids));
  }

  /** The state committed last with the outbox; on the first start after version 1, the state it left in state.db. */
  #savedState(store: PipelineStore): Map<string, string> {
    const saved = this.#o.sink.loadState();
    if (saved.size) return saved;
    const legacy = store.legacyState();
    if (legacy.size) {
      this.#o.sink.publish([], legacy);
      this.#o.sink.flush?.();
      store.dropLegacyState();
      this.#o.log.info({ machines: [...legacy.keys()], from: store.file }, 'pipeline state carried over from state.db into the outbox file');
    }
    return legacy;
  }

  #tick(): void {
    const p = this.#pipeline;
    if (!p) return;
    const now = this.#now();
    this.#failures.tick.run(() => p.tick(now));
    if (now - this.#lastSave >= (this.#o.saveEveryMs ?? 10_000)) {
      this.#lastSave = now;
      // A failed commit keeps the state pending in the outbox, so the dirty set may go.
      this.#o.sink.publish([], serialise(p.takeDirty()));
    }
  }
}

const NOT_RUNNING: CommandResult = { ok: false, code: 'not-running', reason: 'the pipeline is not running' };

/** Open the history file; a file that is not a usable database is moved aside (kept for inspection) and replaced. */
function openStore(file: string, log: Logger): PipelineStore {
  try {
    return new PipelineStore(file);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (!/^SQLITE_(NOTADB|CORRUPT)/.test(code) || !existsSync(file)) throw err;
    const aside = `${file}.damaged-${Date.now()}`;
    renameSync(file, aside);
    for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, aside + ext);
    log.warn({ file, movedTo: aside, err: (err as Error).message }, 'pipeline history file is damaged; moved aside, starting with a fresh one');
    return new PipelineStore(file);
  }
}
