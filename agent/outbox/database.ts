// Opens outbox.db: WAL, incremental auto-vacuum, the schema. A file that is not a database or
// is corrupt is moved aside (never deleted: someone may want to rescue it) and a fresh one is
// started, so a bad disk block costs the backlog in it but never the agent.
import Database from 'better-sqlite3';
import { existsSync, renameSync } from 'node:fs';

export type Db = Database.Database;
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
