// Machine states in the design's priority order, and the debounce that keeps flicker out.
// A state change must hold for `debounce` before it is committed; it is then back-dated to
// when it began, so reported durations are exact. Until then the time is not final: the
// committed timeline stops where the pending change began. Entering or leaving `unknown`
// (communication) or a calendar planned stop is a fact, not a reading, and is committed at once.

export type MachineState = 'unknown' | 'plannedStop' | 'fault' | 'changeover' | 'running' | 'stopped';

export const MACHINE_STATES: readonly MachineState[] = ['unknown', 'plannedStop', 'fault', 'changeover', 'running', 'stopped'];

export interface StateInputs {
  /** Communication is up and the data fresh. */
  communicating: boolean;
  /** The calendar plans production now. */
  calendarPlanned: boolean;
  plannedStopSignal: boolean;
  faultCode: number;
  changeover: boolean;
  running: boolean;
}

export interface RawState {
  state: MachineState;
  /** Distinguishes states that look alike: fault codes, calendar vs signalled planned stops. */
  key: string;
  faultCode?: number;
  /** A planned stop from the calendar (no shift, break) rather than a signal. */
  calendar?: boolean;
}

/** The state the inputs imply, by priority: unknown → planned stop → fault → changeover → running → stopped. */
export function deriveState(i: StateInputs): RawState {
  if (!i.communicating) return { state: 'unknown', key: 'unknown' };
  if (!i.calendarPlanned) return { state: 'plannedStop', key: 'plannedStop:calendar', calendar: true };
  if (i.plannedStopSignal) return { state: 'plannedStop', key: 'plannedStop:signal' };
  if (i.faultCode !== 0) return { state: 'fault', key: `fault:${i.faultCode}`, faultCode: i.faultCode };
  if (i.changeover) return { state: 'changeover', key: 'changeover' };
  if (i.running) return { state: 'running', key: 'running' };
  return { state: 'stopped', key: 'stopped' };
}

export interface Committed extends RawState {
  since: number;
}

export interface Transition {
  at: number;
  from: Committed;
  to: Committed;
}

export interface StateSnapshot {
  committed: Committed;
  candidate?: Committed;
}

function isFact(s: RawState): boolean {
  return s.state === 'unknown' || s.calendar === true;
}

export class StateTracker {
  #debounce: number;
  #committed: Committed;
  #candidate: Committed | undefined;

  constructor(debounceMs: number, snapshot: StateSnapshot) {
    this.#debounce = debounceMs;
    this.#committed = snapshot.committed;
    this.#candidate = snapshot.candidate;
  }

  get committed(): Committed {
    return this.#committed;
  }

  get candidate(): Committed | undefined {
    return this.#candidate;
  }

  snapshot(): StateSnapshot {
    return this.#candidate ? { committed: this.#committed, candidate: this.#candidate } : { committed: this.#committed };
  }

  /** Time up to which the state is final. */
  committedUntil(now: number): number {
    return this.#candidate ? this.#candidate.since : now;
  }

  /** When the pending change will be committed, if nothing else happens. */
  confirmAt(): number {
    return this.#candidate ? this.#candidate.since + this.#debounce : Number.POSITIVE_INFINITY;
  }

  /** Commit the pending change if it has held long enough by `now`. */
  settle(now: number): Transition | undefined {
    const c = this.#candidate;
    if (!c || now < c.since + this.#debounce) return undefined;
    this.#candidate = undefined;
    return this.#commit(c);
  }

  /** The inputs imply `raw` from `at` on. */
  observe(at: number, raw: RawState): Transition | undefined {
    const cur = this.#committed;
    if (raw.key === cur.key) {
      // A flicker that came back: its time stays with the committed state.
      this.#candidate = undefined;
      return undefined;
    }
    if (isFact(raw) || isFact(cur) || this.#debounce <= 0) {
      this.#candidate = undefined;
      return this.#commit({ ...raw, since: Math.max(at, cur.since) });
    }
    if (this.#candidate?.key !== raw.key) this.#candidate = { ...raw, since: at };
    return undefined;
  }

  #commit(to: Committed): Transition {
    const from = this.#committed;
    this.#committed = to;
    return { at: to.since, from, to };
  }
}

/** The `lineside.state/1` body of a transition; `closed`/`opened` are the downtime events it ended/began. */
export function stateBody(tr: Transition, closed?: { id: string; reason: string; microStop: boolean }, opened?: { id: string; reason: string; text: string }): Record<string, unknown> {
  const iso = (t: number) => new Date(t).toISOString();
  const body: Record<string, unknown> = {
    state: tr.to.state,
    since: iso(tr.at),
    previous: {
      state: tr.from.state,
      start: iso(tr.from.since),
      end: iso(tr.at),
      durationMs: tr.at - tr.from.since,
      ...(closed ? { downtimeId: closed.id, reason: closed.reason, microStop: closed.microStop } : {}),
    },
  };
  if (opened) {
    body.reason = { code: opened.reason, text: opened.text };
    body.downtimeId = opened.id;
  }
  if (tr.to.faultCode !== undefined) body.faultCode = tr.to.faultCode;
  if (tr.to.state === 'plannedStop') body.source = tr.to.calendar ? 'calendar' : 'signal';
  return body;
}
