// Where destination cursors read committed rows: the recent ones from memory (live traffic never
// reads back what was just written), older ones from the file, filtered there by SQL.
import type { CompiledFilter } from './cursor.ts';
import { ROW_OVERHEAD, type Db, type LeasedRow, type Statements } from './database.ts';
import type { RecentRows } from './recent-rows.ts';

export class RowReader {
  readonly #recent: RecentRows;
  #db: Db | undefined;
  #stmts: Statements | undefined;
  #filtered = new Map<string, ReturnType<Db['prepare']>>();

  constructor(recent: RecentRows) {
    this.#recent = recent;
  }

  attach(db: Db | undefined, stmts: Statements | undefined): void {
    this.#db = db;
    this.#stmts = stmts;
    this.#filtered.clear();
  }

  /** Throws what the file throws; the caller decides what a failure means. */
  rows(from: number, to: number, max: number, filter: CompiledFilter | undefined): { rows: LeasedRow[]; scannedTo: number } {
    if (max <= 0 || to < from) return { rows: [], scannedTo: from - 1 };
    if (from >= this.#recent.first) return this.#recent.rows(from, to, max, filter);
    if (!this.#stmts) return { rows: [], scannedTo: from - 1 };
    const rows = (filter ? this.#filteredStmt(filter) : this.#stmts.rows).all(from, to, ...(filter?.params ?? []), max) as LeasedRow[];
    return { rows, scannedTo: rows.length === max ? rows[rows.length - 1]!.seq : to };
  }

  #filteredStmt(filter: CompiledFilter): ReturnType<Db['prepare']> {
    let s = this.#filtered.get(filter.sql);
    if (!s) {
      s = this.#db!.prepare(`SELECT seq, machine, kind, schema, ts, body, octet_length(body) + ${ROW_OVERHEAD} AS size FROM outbox WHERE seq BETWEEN ? AND ? AND ${filter.sql} ORDER BY seq LIMIT ?`);
      this.#filtered.set(filter.sql, s);
    }
    return s;
  }
}
