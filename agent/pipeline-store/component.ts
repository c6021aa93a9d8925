// The pipeline at run time: restores the saved state, feeds the pipeline readings and link
// changes from the machine runners, advances its clock once a second (period boundaries,
// staleness, debounce and live OEE are computed by the pure pipeline from that clock), saves
// its state every few seconds and on stop, and keeps the history pruned.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { Reading } from '../../drivers/driver.ts';
import type { CommandResult, CommandTarget, EventSink, JobOrder, MachineEvent } from '../events.ts';
import type { Logger } from '../log.ts';
import type { Component } from '../lifecycle/component.ts';
import type { LinkStatus, MachineSink } from '../machines/link-status.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { PipelineStore } from './store.ts';

export interface PipelineComponentOptions {
  config: LinesideConfig;
  log: Logger;
  /** Where events go after they are recorded (the outbox). */
  sink: EventSink;
  now?: () => number;
  tickMs?: number;
  saveEveryMs?: number;
}

const PRUNE_EVERY = 3_600_000;

export class PipelineComponent implements Component, MachineSink, CommandTarget {
  readonly name = 'pipeline';
  #o: PipelineComponentOptions;
  #now: () => number;
  #pipeline: Pipeline | undefined;
  #store: PipelineStore | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastSave = 0;
  #lastPrune = 0;
  /** A period closed, a revision was issued or a command changed the state since the last save. */
  #settled = false;

  constructor(o: PipelineComponentOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  get pipeline(): Pipeline | undefined {
    return this.#pipeline;
  }

  get store(): PipelineStore | undefined {
    return this.#store;
  }

  async start(): Promise<void> {
    const { config, log } = this.#o;
    const store = openStore(join(config.agent.dataDir, 'state.db'), log);
    this.#store = store;
    try {
      const problems: Array<{ machine: string; error: string }> = [];
      const snapshots = store.loadSnapshots(problems);
      const now = this.#now();
      const sink: EventSink = {
        publish: (events) => {
          store.record(events);
          this.#o.sink.publish(events);
          if (events.some(isSettling)) this.#settled = true;
        },
      };
      this.#pipeline = new Pipeline({ config, sink, now, snapshots });
      for (const p of [...problems, ...this.#pipeline.restoreProblems]) log.warn({ machine: p.machine, err: p.error, file: store.file }, 'saved pipeline state not usable; the machine starts fresh');
      if (snapshots.size) log.info({ machines: [...snapshots.keys()], file: store.file }, 'pipeline state restored; the time the agent was down counts as unknown');
      this.#lastSave = now;
      this.#prune(now);
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
    if (p && store) {
      const now = this.#now();
      p.tick(now);
      store.saveSnapshots(p.snapshots(), now);
      this.#o.log.debug({ file: store.file }, 'pipeline state saved');
    }
    store?.close();
  }

  readings(machine: string, readings: Reading[]): void {
    this.#pipeline?.readings(machine, readings);
    this.#saveIfSettled();
  }

  link(machine: string, status: Readonly<LinkStatus>): void {
    this.#pipeline?.link(machine, status);
    this.#saveIfSettled();
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

  #command(result: CommandResult | undefined): CommandResult {
    if (!result) return NOT_RUNNING;
    if (result.ok) this.#settled = true;
    this.#saveIfSettled();
    return result;
  }

  /**
   * Closed periods, revisions and applied commands are saved at once, after their events are
   * durable in the outbox: a crash must not make the restarted pipeline close a period again
   * (a second revision 1 with other figures) or forget a command the MES saw accepted.
   */
  #saveIfSettled(): void {
    const p = this.#pipeline;
    const store = this.#store;
    if (!this.#settled || !p || !store) return;
    this.#settled = false;
    try {
      this.#o.sink.flush?.();
      const now = this.#now();
      store.saveSnapshots(p.snapshots(), now);
      this.#lastSave = now;
    } catch (err) {
      this.#settled = true;
      this.#o.log.error({ err }, 'saving pipeline state failed; retrying');
    }
  }

  #tick(): void {
    const p = this.#pipeline;
    const store = this.#store;
    if (!p || !store) return;
    try {
      const now = this.#now();
      p.tick(now);
      this.#saveIfSettled();
      if (now - this.#lastSave >= (this.#o.saveEveryMs ?? 10_000)) {
        this.#lastSave = now;
        store.saveSnapshots(p.takeDirty(), now);
      }
      if (now - this.#lastPrune >= PRUNE_EVERY) this.#prune(now);
    } catch (err) {
      // A failed save is retried on the next tick; the pipeline keeps running in memory.
      this.#o.log.error({ err }, 'pipeline tick failed');
    }
  }

  #prune(now: number): void {
    this.#lastPrune = now;
    const removed = this.#store?.prune(now - this.#o.config.history.retention) ?? 0;
    if (removed) this.#o.log.info({ removed }, 'pruned pipeline history');
  }
}

/** Events after which the saved state must not lag behind what was published. */
function isSettling(e: MachineEvent): boolean {
  return e.kind === 'job' || (e.kind === 'oee' && e.body.status !== 'live');
}

const NOT_RUNNING: CommandResult = { ok: false, code: 'not-running', reason: 'the pipeline is not running' };

/** Open the state file; a file that is not a usable database is moved aside (kept for inspection) and replaced. */
function openStore(file: string, log: Logger): PipelineStore {
  try {
    return new PipelineStore(file);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (!/^SQLITE_(NOTADB|CORRUPT)/.test(code) || !existsSync(file)) throw err;
    const aside = `${file}.damaged-${Date.now()}`;
    renameSync(file, aside);
    for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, aside + ext);
    log.warn({ file, movedTo: aside, err: (err as Error).message }, 'pipeline state file is damaged; moved aside, starting with a fresh one');
    return new PipelineStore(file);
  }
}
