// The store-and-forward outbox: every outbound message is appended here before it is sent, and
// leaves only when the broker acknowledged it (lease → ack, or release to send again).
//
// Durability: append() buffers the events of the current tick; one transaction per tick
// (buffer.commitInterval) assigns their seqs and commits them, so throughput stays near raw
// SQLite. A message is durable from that commit (flush() forces it at once). The publisher
// only ever leases committed rows, so a crash loses at most the last tick of events that no
// one has seen, and never a seq that anyone has seen: seqs are assigned inside the commit.
//
// The transactional outbox: the pipeline hands over its state with the events it emitted, and
// both commit in one transaction in this file. After a crash the pipeline resumes from the state
// that goes with the last committed events, so it never derives a published fact differently.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from '../lifecycle/component.ts';
import type { MachineEvent, TransactionalSink } from '../events.ts';
import type { Logger } from '../log.ts';
import { DROP_REPORT_SCHEMA, type DropReport } from '../contract/status.ts';
import { DropTally, MAX_PRIORITY, PRIORITY, ROW_OVERHEAD, dropForSpace, dropFromMemory, dropOlderThan, type DropReason, type PendingRow } from './bounds.ts';
import { CommandLog } from './command-log.ts';
import { isCorruption, isDiskFull, moveAside, openDatabase, prepareStatements, type Db, type Statements, type SyncMode, type LeasedRow } from './database.ts';
import { SeqReservation } from './seq-reservation.ts';
import { E } from '../errors.ts';

export interface OutboxOptions {
  dataDir: string;
  synchronous: SyncMode;
  /** Group-commit tick (ms). */
  commitInterval: number;
  maxBytes: number;
  /** ms */
  maxAge: number;
  log: Logger;
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
}



/** Commit at once when this many events wait, so a burst does not grow the buffer unbounded. */
const FLUSH_AT = 20_000;
/** Events held in memory while the disk refuses writes; beyond this the oldest telemetry goes. */
const PENDING_LIMIT = 200_000;
const AGE_SWEEP_MS = 5_000;
/** The slow timer: age sweeps, and retries of a file that refused writes or could not be opened. */
const SWEEP_TICK_MS = 1_000;
/**
 * Pages given back per compaction step. Vacuuming a drained 1 GiB outbox in one go blocks
 * the event loop for seconds (polls, PUBACKs and keep-alives all wait); 1024 pages (4 MiB) a
 * step keeps each one short.
 */
const COMPACT_STEP_PAGES = 1024;
const COMPACT_MIN_FREE = 256;
/** How often to try again to open a file after it could not be (re)opened. */
const REOPEN_MS = 5_000;
const COMMAND_RETENTION_MS = 30 * 86_400_000;

export class Outbox implements TransactionalSink, Component {
  readonly name = 'outbox';
  readonly file: string;
  readonly #opts: OutboxOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #reservation: SeqReservation;
  #db: Db | undefined;
  #stmts: Statements | undefined;
  #commands: CommandLog | undefined;
  #pending: PendingRow[] = [];
  /** State to commit with the pending rows, by key; the latest per key wins. */
  #pendingState = new Map<string, string>();
  #acked: OutboxRow[] = [];
  #timer: NodeJS.Timeout | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #running = false;
  #lastSeq = 0;
  #cursor = 0;
  #depth = 0;
  #bytes = 0;
  #dropped = 0;
  #appended = 0;
  #ackedTotal = 0;
  #rejected = 0;
  #lastAgeSweep = 0;
  #failing: string | undefined;
  /** A compaction in progress: one step per compact() call until the free pages are given back. */
  #compacting = false;
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
  }

  /** Commit what is pending and close the file. */
  close(): void {
    this.#wantOpen = false;
    if (!this.#db) return;
    this.flush();
    this.#db.close();
    this.#db = undefined;
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
        body = JSON.stringify(e.body);
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
    return this.#pending.length === 0 && this.#acked.length === 0 && this.#pendingState.size === 0;
  }

  /** Called after every commit that added rows (the publisher wakes up on it). */
  onCommit(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Highest committed seq. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Lease up to `max` committed rows after those already leased, in seq order. They stay in the
   * outbox until ack(); release() makes everything not acked leasable again, from the oldest.
   */
  lease(max: number): OutboxRow[] {
    if (!this.#stmts || max <= 0) return [];
    try {
      const rows = this.#stmts.lease.all(this.#cursor, max);
      if (rows.length) this.#cursor = rows[rows.length - 1]!.seq;
      return rows;
    } catch (err) {
      this.#onError(err, 'lease');
      return [];
    }
  }

  /** The broker acknowledged these rows; they are deleted with the next commit. */
  ack(rows: OutboxRow[]): void {
    for (const r of rows) this.#acked.push(r);
    this.#armCommit();
  }

  /** Give back every leased, unacknowledged row: the next lease starts again from the oldest. */
  release(): void {
    this.flush();
    this.#cursor = 0;
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
      depth: this.#depth + this.#pending.length - this.#acked.length,
      bytes: this.#bytes,
      dropped: this.#dropped,
      oldestAgeMs,
      lastSeq: this.#lastSeq,
      appended: this.#appended,
      acked: this.#ackedTotal,
      rejected: this.#rejected,
    };
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

  /** The group commit: assign seqs to pending events, delete acked rows, one transaction. */
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
    const acked = this.#acked;
    const state = this.#pendingState;
    const s = this.#stmts;
    let deleted = 0;
    let deletedBytes = 0;
    try {
      this.#db.transaction(() => {
        this.#insert(pending);
        const at = this.#now();
        for (const [k, v] of state) s.saveState.run(k, v, at);
        for (const r of acked) {
          // A row can be gone already (corrupt file replaced); count only real deletions.
          if (s.del.run(r.seq).changes) {
            deleted++;
            deletedBytes += r.size;
          }
        }
      })();
    } catch (err) {
      this.#onError(err, 'commit');
      this.#enforcePendingLimit();
      return;
    }
    if (this.#failing) {
      this.#log.info({ code: E.LS_OUTBOX_RECOVERED, was: this.#failing }, 'outbox writes work again');
      this.#failing = undefined;
    }
    this.#pending = [];
    this.#acked = [];
    this.#pendingState = new Map();
    this.#bytes -= deletedBytes;
    this.#depth -= deleted;
    this.#ackedTotal += acked.length;
    this.#inserted(pending);
    if (this.#bytes > this.#opts.maxBytes) this.#trim('maxBytes');
  }

  /** Insert rows with the next seqs, inside the caller's transaction; #inserted() once it committed. */
  #insert(rows: PendingRow[]): void {
    if (rows.length === 0) return;
    const s = this.#stmts!;
    this.#reservation.ensure(this.#lastSeq + rows.length);
    let seq = this.#lastSeq;
    for (const p of rows) s.insert.run(++seq, p.machine, p.kind, p.schema, p.ts, p.prio, p.body);
    s.setSeq.run(seq);
  }

  #inserted(rows: PendingRow[]): void {
    if (rows.length === 0) return;
    this.#lastSeq += rows.length;
    for (const p of rows) this.#bytes += p.size;
    this.#depth += rows.length;
    for (const l of this.#listeners) l();
  }

  /**
   * Timer body: commit, sweep by age. Never throws. Compaction is not here: it is housekeeping,
   * run on the plant's schedule (agent/housekeeping). The bounds stay here, every tick: maxBytes
   * (in flush) and disk full protect the disk and must act within a tick, and maxAge decides
   * what the MES still receives, so a nightly sweep would send messages the bound says are dropped.
   */
  tick(): void {
    try {
      this.flush();
      const now = this.#now();
      if (now - this.#lastAgeSweep >= AGE_SWEEP_MS) {
        this.#lastAgeSweep = now;
        this.#trim('maxAge');
      }
    } catch (err) {
      this.#onError(err, 'tick');
    }
  }

  /**
   * One bounded step of giving free pages back to the file system (incremental vacuum), then
   * truncating the WAL once done. Returns true while more steps remain. Throws what failed, after
   * recovering a corrupt file; a failed compaction loses nothing and is simply tried again.
   */
  compact(): boolean {
    if (!this.#db) return false;
    try {
      const free = this.#db.pragma('freelist_count', { simple: true }) as number;
      const total = this.#db.pragma('page_count', { simple: true }) as number;
      if (!this.#compacting && free > COMPACT_MIN_FREE && free * 4 > total) this.#compacting = true;
      if (!this.#compacting) return false;
      this.#db.pragma(`incremental_vacuum(${COMPACT_STEP_PAGES})`);
      if (free - COMPACT_STEP_PAGES <= COMPACT_MIN_FREE) {
        this.#compacting = false;
        this.#db.pragma('wal_checkpoint(TRUNCATE)');
        this.#log.debug({ pages: this.#db.pragma('page_count', { simple: true }) }, 'outbox compacted');
      }
      return this.#compacting;
    } catch (err) {
      this.#compacting = false;
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
    this.#commands = new CommandLog(db);
    const stored = this.#stmts.getSeq.get()?.value;
    // A fresh file (first start, or a corrupt one moved aside) continues above every seq ever reserved.
    this.#lastSeq = stored ?? this.#reservation.reserved;
    if (stored === undefined && this.#lastSeq > 0) this.#stmts.setSeq.run(this.#lastSeq);
    const agg = this.#stmts.aggregate.get()!;
    this.#depth = agg.n;
    this.#bytes = agg.bytes ?? 0;
    this.#cursor = 0;
    this.#commands.prune(this.#now() - COMMAND_RETENTION_MS);
    this.#log.info({ file: this.file, depth: this.#depth, bytes: this.#bytes, lastSeq: this.#lastSeq, synchronous: this.#opts.synchronous }, 'outbox open');
  }

  #trim(reason: DropReason): void {
    if (!this.#db) return;
    const tally = new DropTally();
    const cursor = this.#cursor;
    let reports: PendingRow[] = [];
    try {
      // The report is committed with the drop: a crash in between would leave a gap no one explains.
      this.#db.transaction(() => {
        if (reason === 'maxAge') dropOlderThan(this.#db!, this.#now() - this.#opts.maxAge, cursor, tally);
        // Trim below the bound so a full outbox does not drop (and report) on every tick.
        else dropForSpace(this.#db!, this.#bytes - Math.floor(this.#opts.maxBytes * 0.9), cursor, tally);
        reports = this.#reportRows(reason, tally);
        this.#insert(reports);
      })();
    } catch (err) {
      this.#onError(err, `drop (${reason})`);
      return;
    }
    if (tally.total === 0) return;
    this.#depth -= tally.total;
    this.#bytes -= tally.bytes;
    this.#countDrop(reason, tally);
    this.#inserted(reports);
  }

  /** Count and log a drop (once per round). */
  #countDrop(reason: DropReason, tally: DropTally): void {
    this.#dropped += tally.total;
    this.#log.warn({ code: E.LS_OUTBOX_DROPPED, reason, dropped: tally.total, machines: [...tally.byMachine.keys()], droppedTotal: this.#dropped }, 'outbox bound reached: oldest messages dropped and reported');
  }

  /** Count, log and queue a drop report per machine for the next commit (drops from memory). */
  #report(reason: DropReason, tally: DropTally): void {
    if (tally.total === 0) return;
    this.#countDrop(reason, tally);
    this.#pending.push(...this.#reportRows(reason, tally));
    this.#armCommit();
  }

  /** One drop report per machine; reports go last under bounds themselves (they explain the gaps). */
  #reportRows(reason: DropReason, tally: DropTally): PendingRow[] {
    const reports: MachineEvent[] = [];
    for (const [machine, d] of tally.byMachine) {
      const body: DropReport = {
        event: 'outbox-drop', reason, count: d.count, byKind: d.byKind, firstSeq: d.firstSeq, lastSeq: d.lastSeq,
        fromTs: new Date(d.fromTs).toISOString(), toTs: new Date(d.toTs).toISOString(),
      };
      reports.push({ kind: 'event', machine, schema: DROP_REPORT_SCHEMA, ts: this.#now(), body: body as unknown as Record<string, unknown> });
    }
    return reports.map((e) => {
      const body = JSON.stringify(e.body);
      return { machine: e.machine, kind: e.kind, schema: e.schema, ts: e.ts, prio: MAX_PRIORITY, body, size: Buffer.byteLength(body) + ROW_OVERHEAD };
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
    const kind = isDiskFull(err) ? E.LS_OUTBOX_DISK_FULL : E.LS_OUTBOX_WRITE_FAILED;
    if (this.#failing !== kind) {
      // Logged on the transition only; the recovery is logged once too.
      this.#log.error({ code: kind, sqlite: code, err, during: what, pending: this.#pending.length }, 'outbox cannot write; keeping messages in memory and retrying every tick');
      this.#failing = kind;
    }
    if (kind === E.LS_OUTBOX_DISK_FULL && this.#db) {
      // Free room inside the file: the oldest telemetry goes first, as with maxBytes.
      const need = Math.max(64 * 1024, this.#pending.reduce((n, p) => n + p.size, 0) * 2);
      let tally = new DropTally();
      let reports: PendingRow[] = [];
      try {
        // As under maxBytes, the report goes into the room the drop made, in the same commit.
        this.#db.transaction(() => {
          dropForSpace(this.#db!, need, this.#cursor, tally);
          reports = this.#reportRows('diskFull', tally);
          this.#insert(reports);
        })();
      } catch {
        // Even the report does not fit: drop alone, and report from memory with the next commit.
        tally = new DropTally();
        reports = [];
        try {
          this.#db.transaction(() => dropForSpace(this.#db!, need, this.#cursor, tally))();
        } catch {
          return;
        }
      }
      if (tally.total) {
        this.#depth -= tally.total;
        this.#bytes -= tally.bytes;
        if (reports.length) {
          this.#countDrop('diskFull', tally);
          this.#inserted(reports);
        } else this.#report('diskFull', tally);
      }
    }
  }

  #recoverFromCorruption(err: Error): void {
    try {
      this.#db?.close();
    } catch {
      // closing a broken handle may fail too; the file is moved aside either way
    }
    this.#db = undefined;
    this.#stmts = undefined;
    // Whatever the file held is no longer ours to send (it stays in the corrupt file).
    this.#depth = 0;
    this.#bytes = 0;
    try {
      const aside = moveAside(this.file, this.#now());
      this.#logCorrupt(aside, err);
      this.open();
      this.#acked = [];
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
      this.#acked = [];
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
      this.#log.debug({ err }, 'outbox still cannot be opened');
    }
  }

  #logCorrupt(aside: string, err: unknown): void {
    this.#log.error({ code: E.LS_OUTBOX_CORRUPT, movedTo: aside, err }, 'OUTBOX DATABASE CORRUPT: moved aside and started a fresh one; its undelivered messages are in the moved file');
  }
}
