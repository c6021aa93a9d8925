// The store-and-forward outbox: every outbound message is committed here once, and each
// destination (MQTT, webhooks, ...) takes it through its own cursor. A row leaves the file when
// every destination that wants it has it, or when a bound drops it — and then a drop report,
// committed in the same transaction, says so.
//
// Durability: append() buffers the events of the current tick; one transaction per tick
// (buffer.commitInterval) assigns their seqs and commits them, so throughput stays near raw
// SQLite. A message is durable from that commit (flush() forces it at once). Destinations only
// ever see committed rows, so a crash loses at most the last tick of events that no one has
// seen, and never a seq that anyone has seen: seqs are assigned inside the commit.
//
// The transactional outbox: the pipeline hands over its state with the events it emitted, and
// both commit in one transaction in this file. After a crash the pipeline resumes from the state
// that goes with the last committed events, so it never derives a published fact differently.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from '../lifecycle/component.ts';
import { BODY_JSON, type MachineEvent, type TransactionalSink } from '../events.ts';
import type { Logger } from '../log.ts';
import { MAX_PRIORITY, PRIORITY, REPORT_PRIORITY, ROW_OVERHEAD, dropForSpace, dropFromMemory, dropOlderThan, type PendingRow } from './bounds.ts';
import { CommandLog } from './command-log.ts';
import type { CompiledFilter, CursorState, DestinationCursor, RowSource } from './cursor.ts';
import { loadCursors, type CursorSpec } from './cursor-store.ts';
import { isCorruption, isDiskFull, moveAside, openDatabase, prepareStatements, type Db, type LeasedRow, type Statements, type SyncMode } from './database.ts';
import { DeadLetters, type DeadLetter } from './dead-letters.ts';
import { DropTally, dropReports, type DropReason } from './drop-report.ts';
import { IntervalSet } from './interval-set.ts';
import { RecentRows } from './recent-rows.ts';
import { RowReader } from './row-reader.ts';
import { Compaction } from './compaction.ts';
import { confirmedIn, salvage } from './salvage.ts';
import { SeqReservation } from './seq-reservation.ts';
import { E } from '../errors.ts';

/** A destination's name, and `strict` for one lane in seq order instead of live first and the backlog paced behind it. */
export type DestinationSpec = CursorSpec;

export interface OutboxOptions {
  dataDir: string;
  synchronous: SyncMode;
  /** Group-commit tick (ms). */
  commitInterval: number;
  maxBytes: number;
  /** ms */
  maxAge: number;
  log: Logger;
  /** Who takes messages out; default one destination, `mqtt`. */
  destinations?: DestinationSpec[];
  now?: () => number;
  /** Test hook: caps the database size in pages so SQLITE_FULL can be provoked for real. */
  maxPageCount?: number;
}

export type OutboxRow = LeasedRow;

export interface OutboxStats {
  depth: number;
  bytes: number;
  dropped: number;
  oldestAgeMs: number;
  lastSeq: number;
  appended: number;
  acked: number;
  /** Events refused because their body could not be serialised. */
  rejected: number;
  /** Commits and reads the file refused (a full disk, I/O errors); logged once per incident. */
  writeFailures: number;
  /** The file refuses writes right now. */
  failing: boolean;
}

/** Commit at once when this many events wait, so a burst does not grow the buffer unbounded. */
const FLUSH_AT = 20_000;
/** Events held in memory while the disk refuses writes; beyond this the oldest telemetry goes. */
const PENDING_LIMIT = 200_000;
const AGE_SWEEP_MS = 5_000;
/** The slow timer: age sweeps, dead letters sent again, retries of a file that refused writes. */
const SWEEP_TICK_MS = 1_000;
/** How often to try again to open a file after it could not be (re)opened. */
const REOPEN_MS = 5_000;
const COMMAND_RETENTION_MS = 30 * 86_400_000;

export class Outbox implements TransactionalSink, Component, RowSource {
  readonly name = 'outbox';
  readonly file: string;
  readonly #opts: OutboxOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #reservation: SeqReservation;
  readonly #specs: DestinationSpec[];
  readonly #cursors = new Map<string, DestinationCursor>();
  readonly #recent = new RecentRows();
  readonly #reader = new RowReader(this.#recent);
  /** Ranges already deleted because every destination had them. */
  #deleted = new IntervalSet();
  /** Highest seq each destination was handed before this process started (a crash's in-flight rows). */
  readonly #sentBefore = new Map<string, number>();
  #db: Db | undefined;
  #stmts: Statements | undefined;
  #commands: CommandLog | undefined;
  #deadLetters: DeadLetters | undefined;
  #pending: PendingRow[] = [];
  /** State to commit with the pending rows, by key; the latest per key wins. */
  #pendingState = new Map<string, string>();
  #dirtyAcks = false;
  #timer: NodeJS.Timeout | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #running = false;
  #lastSeq = 0;
  #depth = 0;
  #bytes = 0;
  #dropped = 0;
  #appended = 0;
  #ackedTotal = 0;
  #rejected = 0;
  #writeFailures = 0;
  #lastAgeSweep = 0;
  #failing: string | undefined;
  readonly #compaction = new Compaction();
  /** Between open() and close(): a missing #db is a failure to recover from, not a stop. */
  #wantOpen = false;
  #lastOpenAttempt = 0;
  readonly #listeners = new Set<() => void>();

  constructor(opts: OutboxOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ component: 'outbox' });
    this.#now = opts.now ?? Date.now;
    this.file = join(opts.dataDir, 'outbox.db');
    this.#reservation = new SeqReservation(join(opts.dataDir, 'outbox.seq'));
    this.#specs = opts.destinations ?? [{ name: 'mqtt' }];
  }

  async start(): Promise<void> {
    this.open();
    this.#running = true;
    // Group commits are armed by appends and acks, not run every commitInterval: an agent with
    // little traffic would otherwise wake fifty times a second for nothing.
    this.#timer = setInterval(() => this.tick(), SWEEP_TICK_MS);
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    this.close();
  }

  /** Open (or recover) the database. Synchronous; start() calls it. */
  open(): void {
    this.#wantOpen = true;
    this.#lastOpenAttempt = this.#now();
    mkdirSync(this.#opts.dataDir, { recursive: true });
    const { db, movedAside, corruptError } = openDatabase(this.file, this.#opts.synchronous, { now: this.#now(), maxPageCount: this.#opts.maxPageCount });
    if (movedAside) this.#logCorrupt(movedAside, corruptError);
    this.#attach(db);
    if (movedAside) this.#reportMovedAside(movedAside);
  }

  /** The undelivered messages of a file moved aside are lost to the destinations: report each one that can still be read. */
  #reportMovedAside(file: string, known?: readonly [number, number]): void {
    const tally = new DropTally(confirmedIn(file));
    const { unreadable } = salvage(file, tally, known);
    if (unreadable) this.#log.error({ code: E.LS_OUTBOX_CORRUPT, file, unreadableSeqs: unreadable }, 'part of the corrupt outbox file cannot be read: its messages in this seq range are not in any drop report');
    this.#report('fileCorrupt', tally);
  }

  /** Commit what is pending and close the file. */
  close(): void {
    this.#wantOpen = false;
    if (!this.#db) return;
    this.flush();
    this.#db.close();
    this.#db = undefined;
  }

  /** A destination's cursor (the names given in the options). */
  cursor(name: string): DestinationCursor {
    const c = this.#cursors.get(name);
    if (!c) throw new Error(`no destination ${name} in the outbox (open it first)`);
    return c;
  }

  get destinations(): string[] {
    return this.#specs.map((s) => s.name);
  }

  /** EventSink: the pipeline's way out. */
  publish(events: MachineEvent[], state?: ReadonlyMap<string, string>): void {
    this.append(events, state);
  }

  /**
   * Buffer events (and the state they leave behind) for the current tick's commit. Never throws
   * for a full or broken disk.
   */
  append(events: MachineEvent[], state?: ReadonlyMap<string, string>): void {
    if (state) for (const [k, v] of state) this.#pendingState.set(k, v);
    this.#push(events);
  }

  /** The state committed last (with the events it goes with), by key; empty when none or not open. */
  loadState(): Map<string, string> {
    const out = new Map<string, string>();
    if (!this.#stmts) return out;
    for (const r of this.#stmts.loadState.all()) out.set(r.key, r.value);
    // What is still pending is newer than what the file holds.
    for (const [k, v] of this.#pendingState) out.set(k, v);
    return out;
  }

  #push(events: MachineEvent[], prio?: number): void {
    for (const e of events) {
      let body: string;
      try {
        // A body that came with its JSON (telemetry writes it in one pass) is not stringified again.
        const json = (e.body as { [BODY_JSON]?: unknown })[BODY_JSON];
        body = typeof json === 'string' ? json : JSON.stringify(e.body);
        if (typeof body !== 'string' || body[0] !== '{') throw new TypeError('body is not an object');
      } catch (err) {
        // A body that cannot be serialised is a bug upstream; it must not stop the other events.
        this.#rejected++;
        this.#log.error({ code: E.LS_OUTBOX_BAD_EVENT, err, machine: e.machine, kind: e.kind, schema: e.schema }, 'event body cannot be serialised; event not stored');
        continue;
      }
      // The envelope needs a valid time; a broken clock value becomes "now" rather than a crash later.
      const ts = Number.isFinite(e.ts) && Math.abs(e.ts) < 8.64e15 ? e.ts : this.#now();
      this.#pending.push({ machine: e.machine, kind: e.kind, schema: e.schema, ts, prio: prio ?? PRIORITY[e.kind] ?? 0, body, size: Buffer.byteLength(body) + ROW_OVERHEAD });
    }
    this.#appended += events.length;
    if (this.#pending.length >= FLUSH_AT) this.flush();
    this.#armCommit();
  }

  /** Commit what is pending one commitInterval from now (a group commit), unless already armed. */
  #armCommit(): void {
    if (!this.#running || this.#commitTimer || this.#idle()) return;
    this.#commitTimer = setTimeout(() => {
      this.#commitTimer = undefined;
      this.tick();
      // Still pending: the disk refused the commit; retry at the same pace.
      this.#armCommit();
    }, this.#opts.commitInterval);
  }

  #idle(): boolean {
    return this.#pending.length === 0 && !this.#dirtyAcks && this.#pendingState.size === 0;
  }

  /** Called after every commit that added rows (destinations wake up on it). */
  onCommit(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Highest committed seq. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** RowSource: committed rows for a cursor, from memory when they are recent. */
  rows(from: number, to: number, max: number, filter: CompiledFilter | undefined): { rows: LeasedRow[]; scannedTo: number } {
    try {
      return this.#reader.rows(from, to, max, filter);
    } catch (err) {
      this.#onError(err, 'read');
      return { rows: [], scannedTo: from - 1 };
    }
  }

  /** A destination has these rows; they leave the file with the next commit once every destination has them. */
  acked(dest: string, rows: readonly { seq: number }[]): void {
    const c = this.cursor(dest);
    for (const r of rows) c.ack(r.seq);
    this.#ackedTotal += rows.length;
    this.#dirtyAcks = true;
    this.#armCommit();
  }

  /** A destination refused this row for good: it is done for the destination, kept for `dead-letters resend`. */
  deadLetter(dest: string, row: { seq: number }, code: string, reason: string): void {
    try {
      this.#deadLetters?.add(dest, row.seq, this.#now(), code, reason);
    } catch (err) {
      this.#onError(err, 'dead letter');
      return;
    }
    this.cursor(dest).ack(row.seq);
    this.#dirtyAcks = true;
    this.#armCommit();
  }

  /** Dead letters per destination. */
  deadLetterCounts(): Map<string, number> {
    try {
      return this.#deadLetters?.counts() ?? new Map();
    } catch {
      return new Map();
    }
  }

  listDeadLetters(dest: string, after?: number, limit?: number): DeadLetter[] {
    return this.#deadLetters?.list(dest, after, limit) ?? [];
  }

  stats(): OutboxStats {
    let oldestAgeMs = 0;
    if (this.#stmts && this.#depth > 0) {
      try {
        const oldest = this.#stmts.oldest.get();
        if (oldest) oldestAgeMs = Math.max(0, this.#now() - oldest.ts);
      } catch {
        // stats never fail the caller
      }
    }
    return {
      depth: this.#depth + this.#pending.length,
      bytes: this.#bytes,
      dropped: this.#dropped,
      oldestAgeMs,
      lastSeq: this.#lastSeq,
      appended: this.#appended,
      acked: this.#ackedTotal,
      rejected: this.#rejected,
      writeFailures: this.#writeFailures,
      failing: this.#failing !== undefined,
    };
  }

  /** Age of the oldest message a destination still wants (ms; 0 when none). */
  oldestAgeMs(dest: string): number {
    const c = this.cursor(dest);
    if (c.pending === 0) return 0;
    const from = c.ackedSet.nextMissing(1);
    const first = this.rows(from, this.#lastSeq, 1, c.filter).rows[0];
    return first ? Math.max(0, this.#now() - first.ts) : 0;
  }

  recallCommand(id: string): string | undefined {
    try {
      return this.#commands?.recall(id);
    } catch (err) {
      this.#onError(err, 'recall command');
      return undefined;
    }
  }

  rememberCommand(id: string, machine: string, name: string, reply: string): void {
    try {
      this.#commands?.remember(id, machine, name, this.#now(), reply);
    } catch (err) {
      this.#onError(err, 'remember command');
    }
  }

  /** The group commit: new rows with their seqs, the state, the cursors, rows every destination has. One transaction. */
  flush(): void {
    if (!this.#db || !this.#stmts) {
      if (this.#wantOpen) this.#reopen();
      if (!this.#db || !this.#stmts) {
        // No file to write to: memory is the buffer, bounded as while the disk is full.
        this.#enforcePendingLimit();
        return;
      }
    }
    if (this.#idle()) return;
    const pending = this.#pending;
    const state = this.#pendingState;
    const s = this.#stmts;
    let inserted: LeasedRow[] = [];
    const cursorStates: Array<[string, CursorState]> = [];
    let freed = { n: 0, bytes: 0 };
    let newlyDeleted: Array<readonly [number, number]> = [];
    try {
      this.#db.transaction(() => {
        inserted = this.#insert(pending);
        const at = this.#now();
        for (const [k, v] of state) s.saveState.run(k, v, at);
        for (const c of this.#cursors.values()) {
          const st = c.takeState();
          if (st) cursorStates.push([c.name, st]);
        }
        for (const [name, st] of cursorStates) s.saveCursor.run(name, JSON.stringify(st.acked), st.sentHigh);
        ({ freed, ranges: newlyDeleted } = this.#deleteDelivered());
      })();
    } catch (err) {
      // The cursors' changes were not saved: keep them to save with the next commit.
      for (const [name] of cursorStates) this.#cursors.get(name)?.markDirty();
      this.#onError(err, 'commit');
      this.#enforcePendingLimit();
      return;
    }
    if (this.#failing) {
      this.#log.info({ code: E.LS_OUTBOX_RECOVERED, was: this.#failing }, 'outbox writes work again');
      this.#failing = undefined;
    }
    this.#pending = [];
    this.#pendingState = new Map();
    this.#dirtyAcks = false;
    for (const [a, b] of newlyDeleted) this.#deleted.addRange(a, b);
    this.#bytes -= freed.bytes;
    this.#depth -= freed.n;
    this.#inserted(inserted);
    if (this.#bytes > this.#opts.maxBytes) this.#trim('maxBytes');
  }

  /** Insert rows with the next seqs, inside the caller's transaction; #inserted() once it committed. */
  #insert(rows: PendingRow[]): LeasedRow[] {
    if (rows.length === 0) return [];
    const s = this.#stmts!;
    this.#reservation.ensure(this.#lastSeq + rows.length);
    let seq = this.#lastSeq;
    const out: LeasedRow[] = [];
    for (const p of rows) {
      s.insert.run(++seq, p.machine, p.kind, p.schema, p.ts, p.prio, p.body);
      out.push({ seq, machine: p.machine, kind: p.kind, schema: p.schema, ts: p.ts, body: p.body, size: p.size });
    }
    s.setSeq.run(seq);
    return out;
  }

  #inserted(rows: LeasedRow[]): void {
    if (rows.length === 0) return;
    this.#lastSeq = rows[rows.length - 1]!.seq;
    // Rows a destination does not want are done for it at once (saved with the next commit).
    for (const c of this.#cursors.values()) c.committed(rows);
    if (this.#cursors.size > 1 || [...this.#cursors.values()].some((c) => c.filter)) this.#dirtyAcks = true;
    for (const p of rows) this.#bytes += p.size;
    this.#depth += rows.length;
    this.#recent.push(rows);
    for (const l of this.#listeners) l();
    this.#trimRecent();
  }

  /** Rows every connected destination has taken need not stay in memory (the listeners above took the live ones at once, or will from the file). */
  #trimRecent(): void {
    let need = Number.POSITIVE_INFINITY;
    for (const c of this.#cursors.values()) need = Math.min(need, c.nextFromMemory);
    this.#recent.forgetBefore(need);
  }

  /** Delete what every destination has (inside the commit's transaction); dead letters stay. */
  #deleteDelivered(): { freed: { n: number; bytes: number }; ranges: Array<readonly [number, number]> } {
    const s = this.#stmts!;
    const all = IntervalSet.intersect([...this.#cursors.values()].map((c) => c.ackedSet));
    const ranges: Array<readonly [number, number]> = [];
    const freed = { n: 0, bytes: 0 };
    for (const [a, b] of all) {
      for (const [x, y] of this.#deleted.gaps(a, b)) {
        const m = s.measureRange.get(x, y)!;
        if (m.n) s.deleteRange.run(x, y);
        freed.n += m.n;
        freed.bytes += m.bytes ?? 0;
        ranges.push([x, y]);
      }
    }
    return { freed, ranges };
  }

  /**
   * Timer body: commit, sweep by age, take dead letters marked to go again. Never throws.
   * Compaction is not here: it is housekeeping, run on the plant's schedule (agent/housekeeping).
   * The bounds stay here, every tick: maxBytes (in flush) and disk full protect the disk and must
   * act within a tick, and maxAge decides what destinations still receive.
   */
  tick(): void {
    try {
      this.flush();
      const now = this.#now();
      if (now - this.#lastAgeSweep >= AGE_SWEEP_MS) {
        this.#lastAgeSweep = now;
        this.#trim('maxAge');
      }
      this.#takeRequeued();
    } catch (err) {
      this.#onError(err, 'tick');
    }
  }

  #takeRequeued(): void {
    if (!this.#deadLetters) return;
    let rows: Array<LeasedRow & { dest: string }> = [];
    try {
      rows = this.#db!.transaction(() => this.#deadLetters!.takeRequeued())();
    } catch (err) {
      this.#onError(err, 'dead letters');
      return;
    }
    for (const r of rows) {
      const c = this.#cursors.get(r.dest);
      if (!c) continue;
      const { dest: _d, ...row } = r;
      c.requeue(row);
      this.#deleted.delete(row.seq);
      this.#dirtyAcks = true;
    }
    if (rows.length) {
      this.#log.info({ count: rows.length, destinations: [...new Set(rows.map((r) => r.dest))] }, 'dead letters sent again');
      for (const l of this.#listeners) l();
      this.#armCommit();
    }
  }

  /**
   * One bounded step of giving free pages back to the file system. Returns true while more steps
   * remain. Throws what failed, after recovering a corrupt file; a failed compaction loses nothing
   * and is simply tried again.
   */
  compact(): boolean {
    if (!this.#db) return false;
    try {
      const more = this.#compaction.step(this.#db);
      if (!more) this.#log.debug({ pages: this.#db.pragma('page_count', { simple: true }) }, 'outbox compaction step done');
      return more;
    } catch (err) {
      if (isCorruption(err)) this.#onError(err, 'compact');
      throw err;
    }
  }

  /** Forget answered command ids older than the retention; returns how many went. */
  pruneCommands(): number {
    try {
      return this.#commands?.prune(this.#now() - COMMAND_RETENTION_MS) ?? 0;
    } catch (err) {
      if (isCorruption(err)) this.#onError(err, 'prune commands');
      throw err;
    }
  }

  #attach(db: Db): void {
    this.#db = db;
    this.#stmts = prepareStatements(db);
    this.#reader.attach(db, this.#stmts);
    this.#commands = new CommandLog(db);
    this.#deadLetters = new DeadLetters(db);
    this.#recent.clear();
    this.#deleted = new IntervalSet();
    const stored = this.#stmts.getSeq.get()?.value;
    // A fresh file (first start, or a corrupt one moved aside) continues above every seq ever reserved.
    this.#lastSeq = stored ?? this.#reservation.reserved;
    if (stored === undefined && this.#lastSeq > 0) this.#stmts.setSeq.run(this.#lastSeq);
    const agg = this.#stmts.aggregate.get()!;
    this.#depth = agg.n;
    this.#bytes = agg.bytes ?? 0;
    this.#cursors.clear();
    this.#sentBefore.clear();
    const loaded = loadCursors({ db, stmts: this.#stmts, specs: this.#specs, lastSeq: this.#lastSeq, depth: this.#depth, src: this, deadLetters: this.#deadLetters, log: this.#log });
    for (const c of loaded) {
      this.#cursors.set(c.name, c);
      this.#sentBefore.set(c.name, c.sentHigh);
    }
    this.#commands.prune(this.#now() - COMMAND_RETENTION_MS);
    this.#log.info({ file: this.file, depth: this.#depth, bytes: this.#bytes, lastSeq: this.#lastSeq, synchronous: this.#opts.synchronous, destinations: this.destinations }, 'outbox open');
  }

  /** A dropped row may have arrived: some destination was handed it and never confirmed it, or confirmed it. */
  #maybeDelivered = (seq: number): boolean => {
    for (const c of this.#cursors.values()) {
      if (c.ackedSet.has(seq) || c.isOut(seq) || seq <= (this.#sentBefore.get(c.name) ?? 0)) return true;
    }
    return false;
  };

  #trim(reason: DropReason): void {
    if (!this.#db) return;
    const tally = new DropTally(this.#maybeDelivered);
    let reports: LeasedRow[] = [];
    try {
      // The report is committed with the drop: a crash in between would leave a gap no one explains.
      this.#db.transaction(() => {
        if (reason === 'maxAge') dropOlderThan(this.#db!, this.#now() - this.#opts.maxAge, tally);
        // Trim below the bound so a full outbox does not drop (and report) on every tick.
        else dropForSpace(this.#db!, this.#bytes - Math.floor(this.#opts.maxBytes * 0.9), tally);
        reports = this.#insert(this.#reportRows(reason, tally));
      })();
    } catch (err) {
      this.#onError(err, `drop (${reason})`);
      return;
    }
    if (tally.total === 0) return;
    this.#depth -= tally.total;
    this.#bytes -= tally.bytes;
    this.#afterDrop(reason, tally);
    this.#inserted(reports);
  }

  /** Count and log a drop (once per round); the dropped rows are done for every destination. */
  #afterDrop(reason: DropReason, tally: DropTally): void {
    this.#dropped += tally.total;
    for (const c of this.#cursors.values()) c.dropped(tally.rows);
    this.#dirtyAcks = true;
    this.#log.warn({ code: E.LS_OUTBOX_DROPPED, reason, dropped: tally.total, machines: [...tally.byMachine.keys()], droppedTotal: this.#dropped }, 'outbox bound reached: oldest messages dropped and reported');
  }

  /** Queue a drop report per machine for the next commit (drops from memory, or when even the report did not fit). */
  #report(reason: DropReason, tally: DropTally): void {
    if (tally.total === 0) return;
    this.#afterDrop(reason, tally);
    this.#pending.push(...this.#reportRows(reason, tally));
    this.#armCommit();
  }

  /** One drop report per machine; bounds never drop reports (they explain the gaps). */
  #reportRows(reason: DropReason, tally: DropTally): PendingRow[] {
    return dropReports(reason, tally, this.#now()).map((e) => {
      const body = JSON.stringify(e.body);
      return { machine: e.machine, kind: e.kind, schema: e.schema, ts: e.ts, prio: REPORT_PRIORITY, body, size: Buffer.byteLength(body) + ROW_OVERHEAD };
    });
  }

  /** While the disk refuses writes, memory is the buffer; bound it the same way as the file. */
  #enforcePendingLimit(): void {
    if (this.#pending.length <= PENDING_LIMIT) return;
    const tally = new DropTally();
    this.#pending = dropFromMemory(this.#pending, PENDING_LIMIT, tally);
    this.#report('diskFull', tally);
  }

  #onError(err: unknown, what: string): void {
    const code = (err as { code?: string } | null)?.code;
    if (isCorruption(err)) {
      this.#recoverFromCorruption(err as Error);
      return;
    }
    this.#writeFailures++;
    const kind = isDiskFull(err) ? E.LS_OUTBOX_DISK_FULL : E.LS_OUTBOX_WRITE_FAILED;
    if (this.#failing !== kind) {
      // Logged on the transition only; the recovery is logged once too.
      this.#log.error({ code: kind, sqlite: code, err, during: what, pending: this.#pending.length }, 'outbox cannot write; keeping messages in memory and retrying every tick');
      this.#failing = kind;
    }
    if (kind === E.LS_OUTBOX_DISK_FULL && this.#db) this.#makeRoom();
  }

  /** Disk full: free room inside the file, the oldest telemetry first, as with maxBytes. */
  #makeRoom(): void {
    const need = Math.max(64 * 1024, this.#pending.reduce((n, p) => n + p.size, 0) * 2);
    let tally = new DropTally(this.#maybeDelivered);
    let reports: LeasedRow[] = [];
    try {
      // As under maxBytes, the report goes into the room the drop made, in the same commit.
      this.#db!.transaction(() => {
        dropForSpace(this.#db!, need, tally);
        reports = this.#insert(this.#reportRows('diskFull', tally));
      })();
    } catch {
      // Even the report does not fit: drop alone, and report from memory with the next commit.
      tally = new DropTally(this.#maybeDelivered);
      reports = [];
      try {
        this.#db!.transaction(() => dropForSpace(this.#db!, need, tally))();
      } catch {
        return;
      }
    }
    if (!tally.total) return;
    this.#depth -= tally.total;
    this.#bytes -= tally.bytes;
    if (reports.length) {
      this.#afterDrop('diskFull', tally);
      this.#inserted(reports);
    } else this.#report('diskFull', tally);
  }

  #recoverFromCorruption(err: Error): void {
    // What this process knew undelivered: from the oldest row a destination still wants to the last seq.
    const from = Math.min(...[...this.#cursors.values()].map((c) => c.ackedSet.nextMissing(1)));
    const known = from <= this.#lastSeq ? ([from, this.#lastSeq] as const) : undefined;
    try {
      this.#db?.close();
    } catch {
      // closing a broken handle may fail too; the file is moved aside either way
    }
    this.#db = undefined;
    this.#stmts = undefined;
    this.#reader.attach(undefined, undefined);
    // Whatever the file held is no longer ours to send (it stays in the corrupt file).
    this.#depth = 0;
    this.#bytes = 0;
    try {
      const aside = moveAside(this.file, this.#now());
      this.#logCorrupt(aside, err);
      this.open();
      this.#reportMovedAside(aside, known);
    } catch (again) {
      this.#lastOpenAttempt = this.#now();
      this.#log.error({ code: E.LS_OUTBOX_UNAVAILABLE, err: again }, 'outbox cannot be reopened; keeping messages in memory (bounded) and retrying');
    }
  }

  /** The file could not be (re)opened: try again now and then, without flooding the log. */
  #reopen(): void {
    const now = this.#now();
    if (now - this.#lastOpenAttempt < REOPEN_MS) return;
    try {
      this.open();
      this.#log.info({ code: E.LS_OUTBOX_RECOVERED, pending: this.#pending.length }, 'outbox file available again');
    } catch (err) {
      if (isCorruption(err)) {
        this.#recoverFromCorruption(err as Error);
        return;
      }
      try {
        this.#db?.close();
      } catch {
        // a half-open handle; nothing more to do with it
      }
      this.#db = undefined;
      this.#stmts = undefined;
      this.#reader.attach(undefined, undefined);
      this.#log.debug({ err }, 'outbox still cannot be opened');
    }
  }

  #logCorrupt(aside: string, err: unknown): void {
    this.#log.error({ code: E.LS_OUTBOX_CORRUPT, movedTo: aside, err }, 'OUTBOX DATABASE CORRUPT: moved aside and started a fresh one; its undelivered messages are in the moved file');
  }
}
