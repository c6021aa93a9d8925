// Downtime events: every stretch of fault, changeover or unplanned stop, with a reason from
// the fault map (or "unassigned"), and a loss category from the reason catalogue. Reasons can
// change after the fact (a command, or a short stop turning out to be a micro-stop).
import type { ReasonConfig } from '../../config/schema/index.ts';
import type { LossCategory } from './oee.ts';
import type { Committed } from './state.ts';

export type DowntimeState = 'fault' | 'changeover' | 'stopped';

export interface Downtime {
  id: string;
  state: DowntimeState;
  start: number;
  end?: number;
  faultCode?: number;
  reason: string;
  /** Set by a downtime-reason command; a command's reason is never replaced automatically. */
  assigned?: { at: number; text?: string; by?: string };
  microStop: boolean;
  /** 0 while open, 1 when closed, +1 for every later reason change. */
  revision: number;
}

export function isDowntimeState(s: string): s is DowntimeState {
  return s === 'fault' || s === 'changeover' || s === 'stopped';
}

export class ReasonCatalogue {
  #reasons: Record<string, ReasonConfig>;
  #faults: Record<string, string>;

  constructor(reasons: Record<string, ReasonConfig>, faults: Record<string, string>) {
    this.#reasons = reasons;
    this.#faults = faults;
  }

  has(code: string): boolean {
    return Object.hasOwn(this.#reasons, code);
  }

  text(code: string): string {
    return this.#reasons[code]?.text ?? (code.startsWith('fault-') ? `Fault ${code.slice(6)}` : code);
  }

  /** Reasons not in the catalogue (unmapped fault codes) are availability losses. */
  category(code: string): LossCategory {
    return this.#reasons[code]?.category ?? 'availability';
  }

  /** The reason a state starts with. */
  initialReason(s: Committed): string {
    if (s.state === 'fault') return this.#faults[String(s.faultCode)] ?? `fault-${s.faultCode}`;
    if (s.state === 'changeover') return 'changeover';
    return 'unassigned';
  }
}

export function openDowntime(machine: string, s: Committed, catalogue: ReasonCatalogue, lastId: string | undefined): Downtime {
  let id = `${machine}-${s.since}`;
  if (lastId !== undefined && lastId.startsWith(id)) id = `${id}-${Number(lastId.slice(id.length + 1) || 1) + 1}`;
  const d: Downtime = { id, state: s.state as DowntimeState, start: s.since, reason: catalogue.initialReason(s), microStop: false, revision: 0 };
  if (s.faultCode !== undefined) d.faultCode = s.faultCode;
  return d;
}

/** Close at `end`; an unexplained stop shorter than `microStopMs` becomes a micro-stop. */
export function closeDowntime(d: Downtime, end: number, microStopMs: number): void {
  d.end = end;
  d.revision = 1;
  if (d.state === 'stopped' && !d.assigned && d.reason === 'unassigned' && end - d.start < microStopMs) {
    d.reason = 'micro-stop';
    d.microStop = true;
  }
}

export function downtimeBody(d: Downtime, catalogue: ReasonCatalogue): Record<string, unknown> {
  const body: Record<string, unknown> = {
    eventId: d.id,
    status: d.end === undefined ? 'open' : d.revision > 1 ? 'updated' : 'closed',
    state: d.state,
    start: iso(d.start),
    end: d.end === undefined ? null : iso(d.end),
    durationMs: d.end === undefined ? null : d.end - d.start,
    reason: { code: d.reason, text: catalogue.text(d.reason), category: catalogue.category(d.reason), assigned: d.assigned !== undefined },
    microStop: d.microStop,
    revision: d.revision,
  };
  if (d.faultCode !== undefined) body.faultCode = d.faultCode;
  if (d.assigned?.text !== undefined) body.note = d.assigned.text;
  if (d.assigned?.by !== undefined) body.assignedBy = d.assigned.by;
  return body;
}

let lastT = NaN;
let lastIso = '';

/** ISO 8601 UTC of `t`. Remembers the last answer: a poll's readings share one timestamp. */
export function iso(t: number): string {
  if (t !== lastT) {
    lastIso = new Date(t).toISOString();
    lastT = t;
  }
  return lastIso;
}
