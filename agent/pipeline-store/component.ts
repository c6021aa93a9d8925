// The pipeline at run time: restores the saved state, feeds the pipeline readings and link
// changes from the machine runners, advances its clock once a second (period boundaries,
// staleness, debounce and live OEE are computed by the pure pipeline from that clock), and saves
// its state every few seconds and on stop. History pruning is housekeeping, run on the plant's
// schedule (agent/housekeeping) through pruneHistory().
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { LinesideConfig } from '../../config/schema/index.ts';
import type { Reading } from '../../drivers/driver.ts';
import type { CommandResult, CommandTarget, EventSink, JobOrder, MachineEvent } from '../events.ts';
import type { Logger } from '../log.ts';
import type { Component } from '../lifecycle/component.ts';
import { Incidents, type Incident } from '../lifecycle/incident.ts';
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
  /** Where repeated failures (a full disk) are tracked; one log line per incident. */
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
  /** A period closed, a revision was issued or a command changed the state since the last save. */
  #settled = false;
  #failures: { save: Incident; tick: Incident; history: Incident };

  constructor(o: PipelineComponentOptions) {
    this.#o = o;
    const incidents = o.incidents ?? new Incidents(o.log);
    this.#failures = {
      save: incidents.get({ name: 'pipeline-state-save', failed: 'saving pipeline state failed', meanwhile: 'the pipeline runs on in memory and retries' }),
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
      const problems: Array<{ machine: string; error: string }> = [];
      const snapshots = store.loadSnapshots(problems);
      const now = this.#now();
      const sink: EventSink = {
        publish: (events) => {
          // The outbox first: it is the path to the MES and holds events in memory when the disk
          // is full. History serves the read API only; failing to write it must not hold events back.
          this.#o.sink.publish(events);
          this.#failures.history.run(() => store.record(events));
          if (events.some(isSettling)) this.#settled = true;
        },
      };
      this.#pipeline = new Pipeline({ config, sink, now, snapshots });
      for (const p of [...problems, ...this.#pipeline.restoreProblems]) log.warn({ machine: p.machine, err: p.error, file: store.file }, 'saved pipeline state not usable; the machine starts fresh');
      if (snapshots.size) log.info({ machines: [...snapshots.keys()], file: store.file }, 'pipeline state restored; the time the agent was down counts as unknown');
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
  #saveIfSettled(retry = false): void {
    const p = this.#pipeline;
    const store = this.#store;
    if (!this.#settled || !p || !store) return;
    // While saving fails (a full disk), retry once a tick, not on every reading.
    if (this.#failures.save.active && !retry) return;
    this.#settled = false;
    try {
      this.#o.sink.flush?.();
      const now = this.#now();
      store.saveSnapshots(p.snapshots(), now);
      this.#lastSave = now;
      this.#failures.save.ok();
    } catch (err) {
      this.#settled = true;
      this.#failures.save.fail(err);
    }
  }

  #tick(): void {
    const p = this.#pipeline;
    const store = this.#store;
    if (!p || !store) return;
    const now = this.#now();
    this.#failures.tick.run(() => p.tick(now));
    this.#saveIfSettled(true);
    if (now - this.#lastSave >= (this.#o.saveEveryMs ?? 10_000)) {
      this.#lastSave = now;
      const saved = this.#failures.save.run(() => (store.saveSnapshots(p.takeDirty(), now), true));
      // The dirty set is gone with the failed save: save everything on the next tick instead.
      if (!saved) this.#settled = true;
    }
  }

  /** Drop history older than history.retention; returns rows removed (0 while not running). */
  pruneHistory(): number {
    return this.#store?.prune(this.#now() - this.#o.config.history.retention) ?? 0;
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
