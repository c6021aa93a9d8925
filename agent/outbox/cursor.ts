// One destination's view of the outbox: which messages it already has (acknowledged seqs as
// ranges, persisted with every commit), how many it still wants, and its two lanes while it is
// connected. At a (re)connect everything committed and not yet acknowledged is the backlog: the
// replay lane drains it oldest first (paced by the destination); everything committed after the
// connect is live and goes out at once. In strict mode there is one lane in seq order.
import { IntervalSet, type Range } from './interval-set.ts';
import { compileFilter, type FilterableRow, type RowFilter } from './row-filter.ts';
import type { LeasedRow } from './database.ts';

export type CompiledFilter = NonNullable<ReturnType<typeof compileFilter>>;

/** Where a cursor reads committed rows from (the outbox: memory for recent rows, else the file). */
export interface RowSource {
  readonly lastSeq: number;
  /** Rows with from ≤ seq ≤ to passing `filter`, in seq order, at most `max`; `scannedTo` is the last seq looked at. */
  rows(from: number, to: number, max: number, filter: CompiledFilter | undefined): { rows: LeasedRow[]; scannedTo: number };
}

export interface CursorState {
  acked: Range[];
  sentHigh: number;
}

export interface Session {
  /** Live messages are those with a seq above this. */
  boundary: number;
  /** Messages of the backlog this destination wants. */
  backlog: number;
}

export class DestinationCursor {
  readonly name: string;
  readonly strict: boolean;
  readonly filter: CompiledFilter | undefined;
  #src: RowSource;
  #acked: IntervalSet;
  #sentHigh: number;
  /** Messages this destination wants and does not have yet. */
  #pending = 0;
  /** The acknowledged ranges changed since they were last persisted. */
  #dirty = false;
  #session: Session | undefined;
  #replayNext = 1;
  #liveNext = 1;
  /** Dead letters sent again: they go first in the replay lane. */
  #requeued: LeasedRow[] = [];
  /** Handed out by this process and not confirmed: they may have arrived (drop reports say so). */
  #out = new IntervalSet();
  acked = 0;
  sent = 0;

  constructor(o: { name: string; strict?: boolean; filter?: RowFilter; src: RowSource; state?: CursorState }) {
    this.name = o.name;
    this.strict = o.strict ?? false;
    this.filter = compileFilter(o.filter);
    this.#src = o.src;
    this.#acked = new IntervalSet(o.state?.acked ?? []);
    this.#sentHigh = o.state?.sentHigh ?? 0;
  }

  wants(r: FilterableRow): boolean {
    return !this.filter || this.filter.test(r);
  }

  get pending(): number {
    return this.#pending;
  }

  set pending(n: number) {
    this.#pending = n;
  }

  get ackedSet(): IntervalSet {
    return this.#acked;
  }

  get sentHigh(): number {
    return this.#sentHigh;
  }

  get session(): Session | undefined {
    return this.#session;
  }

  /** The lowest seq this destination may still take from the recent rows in memory (Infinity when not connected). */
  get nextFromMemory(): number {
    if (!this.#session) return Number.POSITIVE_INFINITY;
    return this.strict ? this.#replayNext : this.#liveNext;
  }

  /** The replay lane has nothing left of the session's backlog. */
  get replayDone(): boolean {
    return !this.#session || (this.#requeued.length === 0 && this.#replayNext > this.#session.boundary);
  }

  markDirty(): void {
    this.#dirty = true;
  }

  /** Handed to the destination and not confirmed (yet). */
  isOut(seq: number): boolean {
    return this.#out.has(seq);
  }

  /** Persisted state, when it changed since the last call. */
  takeState(): CursorState | undefined {
    if (!this.#dirty) return undefined;
    this.#dirty = false;
    return { acked: [...this.#acked.ranges], sentHigh: this.#sentHigh };
  }

  /** A (re)connect: everything committed and not acknowledged is the backlog. */
  begin(): Session {
    const boundary = this.#src.lastSeq;
    this.#replayNext = this.#acked.nextMissing(1);
    this.#liveNext = boundary + 1;
    this.#session = { boundary, backlog: this.#pending };
    return this.#session;
  }

  /** The connection is gone: what was leased and not acknowledged goes again next session. */
  end(): void {
    this.#session = undefined;
    this.#requeued = [];
  }

  /** Live lane: messages committed since the session began, in seq order. */
  takeLive(max: number): LeasedRow[] {
    if (!this.#session || this.strict) return [];
    const out = this.#take(this.#liveNext, this.#src.lastSeq, max);
    this.#liveNext = out.next;
    this.sent += out.rows.length;
    return out.rows;
  }

  /** Replay lane: the backlog, oldest first (in strict mode: everything, in seq order). */
  takeReplay(max: number): LeasedRow[] {
    if (!this.#session || max <= 0) return [];
    const rows = this.#requeued.splice(0, max);
    if (rows.length < max) {
      const upTo = this.strict ? this.#src.lastSeq : this.#session.boundary;
      const out = this.#take(this.#replayNext, upTo, max - rows.length);
      this.#replayNext = out.next;
      for (const r of out.rows) rows.push(r);
    }
    this.sent += rows.length;
    return rows;
  }

  /** Is this row part of the session's backlog (sent with `replay: true`)? */
  isReplay(seq: number): boolean {
    return !this.#session || seq <= this.#session.boundary;
  }

  /** The destination has these messages (or refused them for good: dead letters). */
  ack(seq: number): void {
    this.#out.delete(seq);
    if (!this.#acked.add(seq)) return;
    this.#pending = Math.max(0, this.#pending - 1);
    this.acked++;
    this.#dirty = true;
  }

  /** New committed rows: those this destination does not want are done at once. */
  committed(rows: readonly LeasedRow[]): void {
    for (const r of rows) {
      if (this.wants(r)) this.#pending++;
      else this.#acked.add(r.seq);
    }
    if (this.filter) this.#dirty = true;
  }

  /** Rows a bound dropped: no longer wanted. */
  dropped(seqs: Iterable<{ seq: number; machine: string; kind: string }>): void {
    for (const r of seqs) {
      if (!this.#acked.add(r.seq)) continue;
      if (this.wants(r)) this.#pending = Math.max(0, this.#pending - 1);
      this.#dirty = true;
    }
  }

  /** Refused for now (not for good): first in the replay lane again. */
  retry(row: LeasedRow): void {
    if (this.#session && !this.#acked.has(row.seq)) this.#requeued.push(row);
  }

  /** A dead letter goes again (the receiver was fixed). */
  requeue(row: LeasedRow): void {
    this.#acked.delete(row.seq);
    this.#pending++;
    this.#dirty = true;
    if (this.#session) this.#requeued.push(row);
  }

  #take(from: number, to: number, max: number): { rows: LeasedRow[]; next: number } {
    const rows: LeasedRow[] = [];
    let next = from;
    if (max <= 0) return { rows, next };
    for (const [a, b] of this.#acked.gaps(from, to)) {
      const got = this.#src.rows(a, b, max - rows.length, this.filter);
      // A failed read scanned nothing: stay here and try again next time.
      if (got.scannedTo < a) return { rows, next: a };
      // What the scan passed over is not wanted (or no longer there): done for this destination.
      let cur = a;
      for (const r of got.rows) {
        if (r.seq > cur) this.#skip(cur, r.seq - 1);
        cur = r.seq + 1;
        rows.push(r);
        this.#out.add(r.seq);
        if (r.seq > this.#sentHigh) {
          this.#sentHigh = r.seq;
          this.#dirty = true;
        }
      }
      if (got.scannedTo >= cur) this.#skip(cur, got.scannedTo);
      next = got.scannedTo + 1;
      if (rows.length >= max) break;
    }
    if (rows.length < max) next = Math.max(next, to + 1);
    return { rows, next };
  }

  #skip(a: number, b: number): void {
    this.#acked.addRange(a, b);
    this.#dirty = true;
  }
}
