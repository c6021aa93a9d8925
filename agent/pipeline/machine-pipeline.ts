// One machine's pipeline: readings and link changes in, events out, on the clock it is given.
// Time is accounted on the committed state timeline (see state.ts) into every open period;
// counts go to the periods containing their timestamp. Figures are computed from the sums
// whenever they are published.
import type { LinesideConfig, MachineConfig } from '../../config/schema/index.ts';
import type { Reading } from '../../drivers/driver.ts';
import type { CommandResult, EventKind, JobOrder, MachineEvent } from '../events.ts';
import type { LinkStatus } from '../machines/link-status.ts';
import type { ShiftCalendar } from './calendar.ts';
import type { CounterState } from './counters.ts';
import { PartCounts } from './counts.ts';
import { ReasonCatalogue, closeDowntime, downtimeBody, isDowntimeState, iso, openDowntime, type Downtime } from './downtime.ts';
import { jobResultBody, validateJob, type JobRun } from './jobs.ts';
import { computeOee, emptyAccum, type OeeFigures } from './oee.ts';
import { PeriodBook, REISSUE_WINDOW } from './period-book.ts';
import { periodBody, type Period } from './periods.ts';
import { SignalMapper, type CounterReading, type CounterSignal, type SignalValues } from './signals.ts';
import { deriveState, stateBody, StateTracker, type Committed, type Transition } from './state.ts';
import { TelemetryThrottle, type TelemetrySnapshot } from './telemetry.ts';
import { SCHEMA } from '../contract/payloads.ts';

export interface MachineSnapshot {
  v: 1;
  evalTime: number;
  accounted: number;
  state: { committed: Committed; candidate?: Committed };
  signals: SignalValues;
  counters: Partial<Record<CounterSignal, CounterState>>;
  gap: Partial<Record<CounterSignal, boolean>>;
  lastIncrease?: number;
  open: Period[];
  closed: Period[];
  downtime: Downtime[];
  job?: JobRun;
  lastLive: number;
  telemetry: TelemetrySnapshot;
}

export interface MachinePipelineOptions {
  machine: MachineConfig;
  config: Pick<LinesideConfig, 'oee' | 'reasons'>;
  calendar: ShiftCalendar;
  emit(event: MachineEvent): void;
  /** Start time (ms): a fresh pipeline is in state unknown from here. */
  now: number;
  /** A saved state: restored, and the time since it was saved counts as unknown. */
  snapshot?: MachineSnapshot;
}

export class MachinePipeline {
  readonly id: string;
  #m: MachineConfig;
  #o: MachinePipelineOptions;
  #cal: ShiftCalendar;
  #catalogue: ReasonCatalogue;
  #signals: SignalMapper;
  #values: SignalValues;
  #counts: PartCounts;
  #st: StateTracker;
  #telemetry: TelemetryThrottle;
  #staleAfter: number;
  /** Report by exception (OPC UA subscriptions): silence means "unchanged", so freshness is the tags' latest quality. */
  #byException: boolean;
  #tagGood = new Map<string, boolean>();
  #goodTags = 0;
  #linkUp = true;
  #linkUpAt = Number.NEGATIVE_INFINITY;
  #lastGood: number | undefined;
  /**
   * The data stopped for `staleAfter` (no good reading). The gap is then unknown from the last
   * good reading on, the instant from which the parts counted across it are excluded too.
   */
  #stale = false;
  /** The input is known complete up to here (the end of a replayed export), past the last reading. */
  #complete = Number.NEGATIVE_INFINITY;
  #lastIncrease: number | undefined;
  #evalTime: number;
  #accounted: number;
  #calPlanned = true;
  #calNext = Number.NEGATIVE_INFINITY;
  #book: PeriodBook;
  #downtime = new Map<string, Downtime>();
  #current: Downtime | undefined;
  #lastDowntimeId: string | undefined;
  #job: JobRun | undefined;
  #lastLive: number;

  constructor(o: MachinePipelineOptions) {
    this.#o = o;
    this.#m = o.machine;
    this.id = o.machine.id;
    this.#cal = o.calendar;
    this.#catalogue = new ReasonCatalogue(o.config.reasons, o.machine.faults);
    this.#signals = new SignalMapper(o.machine.signals);
    this.#byException = o.machine.driver === 'opcua' && o.machine.connection.mode === 'subscribe';
    // A quiet subscription is no stale data: its driver watches keep-alives and marks the tags bad when it falls silent.
    this.#staleAfter = o.machine.states.staleAfter ?? (this.#byException ? Number.POSITIVE_INFINITY : Math.max(3 * o.machine.pollInterval, 5000));
    const s = o.snapshot;
    this.#values = { ...(s?.signals ?? {}) };
    this.#counts = new PartCounts(o.machine.signals, s);
    this.#book = new PeriodBook(o.calendar, o.config.oee.periods, s?.open, s?.closed);
    this.#telemetry = new TelemetryThrottle(o.machine.telemetry.interval, o.machine.telemetry.tags, o.machine.pollInterval, s?.telemetry);
    if (s) {
      this.#evalTime = s.evalTime;
      this.#accounted = s.accounted;
      this.#st = new StateTracker(o.machine.states.debounce, s.state);
      this.#lastIncrease = s.lastIncrease;
      for (const d of s.downtime) this.#downtime.set(d.id, d);
      this.#current = s.downtime.find((d) => d.end === undefined);
      this.#lastDowntimeId = s.downtime.at(-1)?.id;
      this.#job = s.job;
      this.#lastLive = s.lastLive;
      // Nothing is known about the time the agent was down: from the last accounted instant on,
      // the machine is unknown until a fresh reading arrives.
      this.#handle(this.#st.observe(this.#accounted, { state: 'unknown', key: 'unknown' }));
      this.#advance(Math.max(o.now, this.#evalTime));
    } else {
      this.#evalTime = o.now;
      this.#accounted = o.now;
      this.#st = new StateTracker(o.machine.states.debounce, { committed: { state: 'unknown', key: 'unknown', since: o.now } });
      this.#lastLive = o.now;
    }
  }

  /** The idealCycleTime in effect: the job's, else the machine's. */
  get idealCycleTime(): number {
    return this.#job?.idealCycleTime ?? this.#m.idealCycleTime;
  }

  get state(): Committed {
    return this.#st.committed;
  }

  get job(): JobRun | undefined {
    return this.#job;
  }

  readings(readings: Reading[]): void {
    if (readings.length === 0) return;
    let latest = Number.NEGATIVE_INFINITY;
    let good = false;
    for (const r of readings) {
      if (r.ts > latest) latest = r.ts;
      if (r.quality === 'good') good = true;
    }
    const ts = Math.max(latest, this.#clock());
    // Timed changes before the readings first, on the values as they were (a debounce that ran
    // out while waiting for this reading decided on the old values); at `ts` itself the new values
    // decide. A good reading confirms that the data kept coming up to its own time.
    this.#advance(ts, true, good);
    const mapped = this.#signals.apply(readings, this.#values);
    if (mapped.good) {
      this.#lastGood = ts;
      this.#stale = false;
    }
    if (this.#byException) this.#qualities(readings);
    if (mapped.counters.length) this.#count(mapped.counters, ts);
    // Bad readings do not move the final timeline past the last good one.
    this.#evalAt(Math.max(this.#evalTime, Math.min(ts, this.#holdUntil())));
    this.#telemetry.offer(readings);
    this.#sendTelemetry(ts);
    this.#live(ts);
  }

  link(status: Readonly<LinkStatus>): void {
    const at = Math.max(status.since, this.#clock());
    this.#advance(at);
    const up = status.state === 'connected';
    if (up && !this.#linkUp) this.#linkUpAt = at;
    if (!up && this.#linkUp) {
      // The consumers of telemetry learn of the loss from the values' quality, not only from state.
      this.#telemetry.lost(at);
      this.#sendTelemetry(at);
    }
    this.#linkUp = up;
    // A lost link ends the data where the last good reading was (the time since then is not
    // final yet, see #holdUntil); the clock then goes on to the loss itself.
    this.#evalAt(this.#evalTime);
    this.#advance(at);
  }

  /** Advance the clock with no new readings: boundaries, staleness, debounce, live figures. */
  tick(now: number): void {
    // Time-driven changes strictly before `now`; a reading stamped `now` may still arrive and
    // must decide the state at `now` itself. Accounting up to `now` is safe either way.
    this.#advance(now, true);
    this.#account(Math.min(this.#st.committedUntil(Math.max(now, this.#evalTime)), this.#holdUntil()));
    this.#live(Math.max(now, this.#accounted));
  }

  /** The pipeline's clock: nothing before it can change any more. */
  #clock(): number {
    return Math.max(this.#evalTime, this.#accounted);
  }

  startJob(job: JobOrder, at: number): CommandResult {
    const problem = validateJob(job);
    if (problem) return { ok: false, code: 'invalid-job', reason: problem };
    const t = Math.max(at, this.#clock());
    this.#advance(t);
    if (this.#job) this.#endJob(t);
    const periodId = `job:${job.orderId}:${iso(t)}`;
    this.#job = { ...job, start: t, periodId };
    this.#book.openJob({ id: periodId, kind: 'job', name: job.orderId, start: Math.max(t, this.#accounted), end: null, acc: emptyAccum(), revision: 0, job: this.#job });
    return { ok: true, detail: { periodId } };
  }

  endJob(orderId: string, at: number): CommandResult {
    if (!this.#job || this.#job.orderId !== orderId) return { ok: false, code: 'no-such-job', reason: this.#job ? `running job is ${this.#job.orderId}` : 'no job is running' };
    const t = Math.max(at, this.#clock());
    this.#advance(t);
    const periodId = this.#job.periodId;
    this.#endJob(t);
    return { ok: true, detail: { periodId } };
  }

  assignDowntimeReason(eventId: string, reasonCode: string, at: number, note?: { text?: string; by?: string }): CommandResult {
    const d = this.#downtime.get(eventId);
    if (!d) return { ok: false, code: 'unknown-event', reason: `no downtime event ${eventId} on ${this.id}` };
    if (!this.#catalogue.has(reasonCode)) return { ok: false, code: 'unknown-reason', reason: `reason ${reasonCode} is not in the reason catalogue` };
    const ts = Math.max(at, this.#clock());
    d.reason = reasonCode;
    d.microStop = false;
    d.assigned = { at: ts, ...(note?.text !== undefined ? { text: note.text } : {}), ...(note?.by !== undefined ? { by: note.by } : {}) };
    if (d.end !== undefined) d.revision++;
    this.#emit('downtime', SCHEMA.downtime, ts, downtimeBody(d, this.#catalogue));
    // A stop still open may already have time in a period that closed at a boundary.
    this.#reissue(d.id, ts);
    return { ok: true, detail: { revision: d.revision } };
  }

  /** Live (provisional) figures of an open period, for views; undefined when no such period. */
  figures(periodId: string): OeeFigures | undefined {
    const p = this.#book.find(periodId);
    return p && this.#figures(p);
  }

  openPeriods(): readonly Period[] {
    return this.#book.open;
  }

  /** Downtime events still held (open, or recent enough for a late reason), uncopied: for reading only. */
  heldDowntime(): readonly Readonly<Downtime>[] {
    const oldest = Math.min(this.#book.oldestStart(), this.#accounted - REISSUE_WINDOW);
    return [...this.#downtime.values()].filter((d) => d.end === undefined || d.end >= oldest);
  }

  snapshot(): MachineSnapshot {
    const downtime = this.heldDowntime() as Downtime[];
    const snap: MachineSnapshot = {
      v: 1,
      evalTime: this.#evalTime,
      accounted: this.#accounted,
      state: this.#st.snapshot(),
      signals: { ...this.#values },
      ...this.#counts.snapshot(),
      open: this.#book.open,
      closed: this.#book.closed,
      downtime,
      lastLive: this.#lastLive,
      // Set after the clone, in this place among the keys: the telemetry snapshot is a fresh object already, and with a key per tag the costliest to clone.
      telemetry: undefined as unknown as TelemetrySnapshot,
    };
    if (this.#lastIncrease !== undefined) snap.lastIncrease = this.#lastIncrease;
    if (this.#job) snap.job = this.#job;
    const copy = structuredClone(snap);
    copy.telemetry = this.#telemetry.snapshot();
    return copy;
  }

  // --- time -------------------------------------------------------------------------------

  /**
   * Evaluate the time-driven changes up to `now`. While the data is fresh, time after the last
   * good reading is not final: the next reading confirms it (`confirmed`), or `staleAfter`
   * without one turns it unknown from that reading on.
   */
  #advance(now: number, exclusive = false, confirmed = false): void {
    if (!this.#stale && now >= this.#staleAt()) this.#goStale();
    const limit = confirmed ? now : Math.min(now, this.#holdUntil());
    const open = exclusive && limit === now;
    for (;;) {
      const t = Math.min(this.#after(this.#calNext), this.#after(this.#idleAt()), this.#after(this.#st.confirmAt()));
      if (open ? t >= limit : t > limit) break;
      this.#evalAt(t);
    }
    if (!open && limit > this.#evalTime) this.#evalAt(limit);
  }

  /** Where the final timeline ends while the data is fresh: at the last good reading (or where the input is known complete). */
  #holdUntil(): number {
    return !this.#stale && this.#linkUp && this.#lastGood !== undefined && Number.isFinite(this.#staleAfter) ? Math.max(this.#lastGood, this.#complete) : Number.POSITIVE_INFINITY;
  }

  /**
   * Every reading up to `t` has arrived (a replayed export ends here): the last values hold until
   * `t`, so periods up to it can close. Data older than `staleAfter` by then still turns unknown.
   */
  dataComplete(t: number): void {
    const at = Math.max(t, this.#clock());
    this.#complete = at;
    this.#advance(at);
  }

  #goStale(): void {
    this.#stale = true;
    this.#evalAt(Math.max(this.#lastGood!, this.#evalTime));
  }

  #after(t: number): number {
    return t > this.#evalTime ? t : Number.POSITIVE_INFINITY;
  }

  #staleAt(): number {
    return this.#lastGood === undefined ? Number.POSITIVE_INFINITY : this.#lastGood + this.#staleAfter;
  }

  /** How long a counter may stand still and the machine still run: from the ideal cycle time in effect (a job's). */
  #runWindow(): number {
    return Math.max(3 * this.idealCycleTime, 3 * this.#m.pollInterval);
  }

  /** The latest quality of every tag; with all of them bad the machine's data is gone. */
  #qualities(readings: Reading[]): void {
    for (const r of readings) {
      const good = r.quality === 'good';
      const was = this.#tagGood.get(r.tag);
      if (was === good) continue;
      this.#tagGood.set(r.tag, good);
      this.#goodTags += (good ? 1 : 0) - (was ? 1 : 0);
    }
  }

  #idleAt(): number {
    return this.#signals.countsRunning && this.#lastIncrease !== undefined ? this.#lastIncrease + this.#runWindow() : Number.POSITIVE_INFINITY;
  }

  #evalAt(t: number): void {
    if (t >= this.#calNext) {
      this.#calPlanned = this.#cal.isPlanned(t);
      this.#calNext = this.#cal.nextChange(t);
    }
    this.#evalTime = t;
    this.#handle(this.#st.settle(t));
    const communicating = this.#linkUp && this.#lastGood !== undefined && this.#lastGood >= this.#linkUpAt && !this.#stale && (!this.#byException || this.#goodTags > 0);
    const running = this.#signals.countsRunning ? this.#lastIncrease !== undefined && t < this.#lastIncrease + this.#runWindow() : this.#values.running === true;
    const raw = deriveState({
      communicating,
      calendarPlanned: this.#calPlanned,
      plannedStopSignal: this.#values.plannedStop === true,
      faultCode: this.#values.faultCode ?? 0,
      changeover: this.#values.changeover === true,
      running,
    });
    this.#handle(this.#st.observe(t, raw));
    this.#account(this.#st.committedUntil(t));
  }

  #handle(tr: Transition | undefined): void {
    if (!tr) return;
    this.#account(tr.at, tr.from);
    const prev = this.#current;
    if (prev) {
      closeDowntime(prev, tr.at, this.#m.states.microStop);
      this.#current = undefined;
      this.#emit('downtime', SCHEMA.downtime, tr.at, downtimeBody(prev, this.#catalogue));
      // A period closed while this stop was open counted it as unassigned; if it turned out a micro-stop, re-issue.
      if (prev.microStop) this.#reissue(prev.id, tr.at);
    }
    if (tr.to.state === 'unknown') this.#counts.markGap();
    if (isDowntimeState(tr.to.state)) {
      const d = openDowntime(this.id, tr.to, this.#catalogue, this.#lastDowntimeId);
      this.#lastDowntimeId = d.id;
      this.#downtime.set(d.id, d);
      this.#current = d;
      this.#emit('downtime', SCHEMA.downtime, tr.at, downtimeBody(d, this.#catalogue));
    }
    const opened = this.#current && { id: this.#current.id, reason: this.#current.reason, text: this.#catalogue.text(this.#current.reason) };
    this.#emit('state', SCHEMA.state, tr.at, stateBody(tr, prev, opened));
  }

  /** Put the committed state's time up to `until` into the open periods, closing those that end. */
  #account(until: number, state: Committed = this.#st.committed): void {
    while (this.#accounted < until) {
      const a = this.#accounted;
      this.#book.ensure(a, a);
      const b = this.#book.spanEnd(a, until);
      this.#book.addTime(a, b - a, state.state, this.#current?.id);
      this.#accounted = b;
      this.#closeEnded(b);
    }
  }

  #closeEnded(t: number): void {
    const ended = this.#book.close(t);
    if (!ended.length) return;
    for (const p of ended) {
      const f = this.#figures(p);
      if (this.#periodsEnabled(p.kind)) this.#emit('oee', SCHEMA.oee, p.end!, this.#periodBody(p, f));
      if (p.job) this.#emit('job', SCHEMA.job, p.end!, jobResultBody(p.job, p.end!, f, p.revision));
    }
    // Downtime no kept period refers to, and older than the re-issue window, is no longer needed.
    const oldest = Math.min(this.#book.oldestStart(), t - REISSUE_WINDOW);
    for (const [id, d] of this.#downtime) if (d.end !== undefined && d.end < oldest) this.#downtime.delete(id);
  }

  #count(readings: CounterReading[], ts: number): void {
    const ict = this.idealCycleTime;
    const c = this.#counts.update(readings, ts, ict, this.#o.config.oee.excludeCommunicationLoss, !this.#linkUp);
    if (c.total + c.excluded > 0) this.#lastIncrease = ts;
    if (c.total === 0 && c.reject === 0 && c.excluded === 0 && c.jumps === 0) return;
    this.#book.addCounts(ts, this.#accounted, c, ict);
  }

  // --- jobs, figures, events ----------------------------------------------------------------

  #endJob(t: number): void {
    const job = this.#job!;
    const p = this.#book.find(job.periodId);
    if (p && p.end === null) p.end = Math.max(t, p.start);
    this.#job = undefined;
    // Closed now if time is already accounted up to its end; else once accounting gets there.
    this.#closeEnded(this.#accounted);
  }

  #figures(p: Period): OeeFigures {
    return computeOee(p.acc, {
      excludeCommunicationLoss: this.#o.config.oee.excludeCommunicationLoss,
      categoryOf: (id) => {
        const d = this.#downtime.get(id);
        return d ? this.#catalogue.category(d.reason) : 'availability';
      },
    });
  }

  #periodBody(p: Period, f: OeeFigures): Record<string, unknown> {
    if (p.kind !== 'job') return periodBody(p, f);
    const job = p.job;
    return periodBody(p, f, job ? { orderId: job.orderId, product: job.product, idealCycleTimeMs: job.idealCycleTime } : {});
  }

  #periodsEnabled(kind: Period['kind']): boolean {
    return this.#o.config.oee.periods.includes(kind);
  }

  /** Publish the live figures of every open period now, whatever the interval. */
  publishLive(now: number): void {
    this.#live(Math.max(now, this.#accounted), true);
  }

  #live(now: number, force = false): void {
    if (!force && now - this.#lastLive < this.#o.config.oee.liveInterval) return;
    this.#lastLive = now;
    for (const p of this.#book.open) if (this.#periodsEnabled(p.kind)) this.#emit('oee', SCHEMA.oee, now, this.#periodBody(p, this.#figures(p)));
  }

  #reissue(downtimeId: string, ts: number): void {
    for (const p of this.#book.closed) {
      if (!(downtimeId in p.acc.downtime)) continue;
      p.revision++;
      const f = this.#figures(p);
      if (this.#periodsEnabled(p.kind)) this.#emit('oee', SCHEMA.oee, ts, this.#periodBody(p, f));
      if (p.job) this.#emit('job', SCHEMA.job, ts, jobResultBody(p.job, p.end!, f, p.revision));
    }
  }

  #sendTelemetry(ts: number): void {
    const body = this.#telemetry.body(ts);
    if (body) this.#emit('telemetry', SCHEMA.telemetry, ts, body);
  }

  #emit(kind: EventKind, schema: string, ts: number, body: Record<string, unknown>): void {
    this.#o.emit({ kind, machine: this.id, schema, ts, body });
  }
}
