// Opens outbox.db: WAL, incremental auto-vacuum, the schema. A file that is not a database or
// is corrupt is moved aside (never deleted: someone may want to rescue it) and a fresh one is
// started, so a bad disk block costs the backlog in it but never the agent.
import Database from 'better-sqlite3';
import { existsSync, renameSync } from 'node:fs';
import type { EventKind } from '../events.ts';

export type Db = Database.Database;

/** Bytes a row counts against maxBytes: the body plus a fixed share for envelope and index. */
export const ROW_OVERHEAD = 96;
export const SIZE_SQL = `(octet_length(body) + ${ROW_OVERHEAD})`;
export type SyncMode = 'normal' | 'full';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq     INTEGER PRIMARY KEY,  -- the rowid: ordered, never reused inside one file
  machine TEXT    NOT NULL,
  kind    TEXT    NOT NULL,
  schema  TEXT    NOT NULL,
  ts      INTEGER NOT NULL,     -- when the fact happened, ms since epoch
  prio    INTEGER NOT NULL,     -- drop order under bounds: 0 first (telemetry) .. 2 last (oee, downtime, job)
  body    TEXT    NOT NULL
);
-- The sequence high-water mark lives apart from the rows so an emptied outbox keeps it.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
-- Per destination: the seqs it has (ranges, JSON) and the highest seq ever handed to it.
CREATE TABLE IF NOT EXISTS cursors (
  dest      TEXT    PRIMARY KEY,
  acked     TEXT    NOT NULL,
  sent_high INTEGER NOT NULL
) WITHOUT ROWID;
-- Messages a destination refused for good; the row stays in outbox until it is sent again or dropped.
CREATE TABLE IF NOT EXISTS dead_letters (
  dest     TEXT    NOT NULL,
  seq      INTEGER NOT NULL,
  at       INTEGER NOT NULL,
  code     TEXT    NOT NULL,
  reason   TEXT    NOT NULL,
  requeued INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dest, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dead_letters_seq ON dead_letters (seq);
-- The pipeline's state, committed in the same transaction as the events it emitted.
CREATE TABLE IF NOT EXISTS saved_state (
  key      TEXT    PRIMARY KEY,
  value    TEXT    NOT NULL,
  saved_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands (
  id      TEXT    PRIMARY KEY,
  machine TEXT    NOT NULL,
  name    TEXT    NOT NULL,
  at      INTEGER NOT NULL,
  reply   TEXT    NOT NULL
) WITHOUT ROWID;
`;

export interface OpenResult {
  db: Db;
  /** Where a corrupt file was moved to, when it was. */
  movedAside?: string;
  corruptError?: Error;
}

export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR');
}

function openOnce(file: string, sync: SyncMode, maxPageCount?: number): Db {
  const db = new Database(file);
  try {
    // auto_vacuum must be set before the first table exists; on an existing file it is a no-op.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
    // The WAL file shrinks back after checkpoints instead of keeping its peak size.
    db.pragma('journal_size_limit = 16777216');
    db.pragma('busy_timeout = 5000');
    if (maxPageCount) db.pragma(`max_page_count = ${maxPageCount}`);
    db.exec(SCHEMA);
    const check = db.pragma('quick_check(1)', { simple: true });
    if (check !== 'ok') throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Move a corrupt database (and its WAL/SHM) aside; returns the new name of the main file. */
export function moveAside(file: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const target = `${file}.corrupt-${stamp}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, target + suffix);
  }
  return target;
}

export function openDatabase(file: string, sync: SyncMode, opts: { now: number; maxPageCount?: number }): OpenResult {
  try {
    return { db: openOnce(file, sync, opts.maxPageCount) };
  } catch (err) {
    if (!isCorruption(err)) throw err;
    const movedAside = moveAside(file, opts.now);
    return { db: openOnce(file, sync, opts.maxPageCount), movedAside, corruptError: err as Error };
  }
}

/** A row as leased: the stored message plus its kind and its size against maxBytes. */
export interface LeasedRow { seq: number; machine: string; kind: EventKind; schema: string; ts: number; body: string; size: number }

export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Db) {
  return {
    insert: db.prepare<[number, string, string, string, number, number, string]>('INSERT INTO outbox (seq, machine, kind, schema, ts, prio, body) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    rows: db.prepare<[number, number, number], LeasedRow>(`SELECT seq, machine, kind, schema, ts, body, ${SIZE_SQL} AS size FROM outbox WHERE seq BETWEEN ? AND ? ORDER BY seq LIMIT ?`),
    /** What a range delete frees: rows that no dead letter holds. */
    measureRange: db.prepare<[number, number], { n: number; bytes: number | null }>(`SELECT count(*) AS n, sum(${SIZE_SQL}) AS bytes FROM outbox WHERE seq BETWEEN ? AND ? AND seq NOT IN (SELECT seq FROM dead_letters)`),
    deleteRange: db.prepare<[number, number]>('DELETE FROM outbox WHERE seq BETWEEN ? AND ? AND seq NOT IN (SELECT seq FROM dead_letters)'),
    loadCursors: db.prepare<[], { dest: string; acked: string; sent_high: number }>('SELECT dest, acked, sent_high FROM cursors'),
    saveCursor: db.prepare<[string, string, number]>('INSERT INTO cursors (dest, acked, sent_high) VALUES (?, ?, ?) ON CONFLICT(dest) DO UPDATE SET acked = excluded.acked, sent_high = excluded.sent_high'),
    deleteCursor: db.prepare<[string]>('DELETE FROM cursors WHERE dest = ?'),
    existingSeqs: db.prepare<[], { seq: number }>('SELECT seq FROM outbox ORDER BY seq'),
    getSeq: db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'seq'"),
    setSeq: db.prepare<[number]>("INSERT INTO meta (key, value) VALUES ('seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
    aggregate: db.prepare<[], { n: number; bytes: number | null }>(`SELECT count(*) AS n, sum(${SIZE_SQL}) AS bytes FROM outbox`),
    oldest: db.prepare<[], { ts: number }>('SELECT ts FROM outbox ORDER BY seq LIMIT 1'),
    saveState: db.prepare<[string, string, number]>('INSERT INTO saved_state (key, value, saved_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, saved_at = excluded.saved_at'),
    loadState: db.prepare<[], { key: string; value: string }>('SELECT key, value FROM saved_state'),
  };
}
