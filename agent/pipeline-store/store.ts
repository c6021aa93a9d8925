// The pipeline's SQLite file (`state.db` in agent.dataDir): each machine's pipeline state,
// saved so a restart continues the open periods, and the history of closed periods,
// downtime events and job results for the local API, pruned after history.retention.
import Database from 'better-sqlite3';
import type { MachineEvent } from '../events.ts';
import type { MachineSnapshot } from '../pipeline/machine-pipeline.ts';
import { SCHEMA } from '../contract/payloads.ts';

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS machine_state (
  machine TEXT PRIMARY KEY,
  snapshot TEXT NOT NULL,
  saved_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS period_history (
  machine TEXT NOT NULL,
  period_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (machine, period_id)
);
CREATE INDEX IF NOT EXISTS period_history_end ON period_history (end);
CREATE TABLE IF NOT EXISTS downtime_history (
  machine TEXT NOT NULL,
  event_id TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (machine, event_id)
);
CREATE INDEX IF NOT EXISTS downtime_history_end ON downtime_history (end);
CREATE TABLE IF NOT EXISTS job_history (
  machine TEXT NOT NULL,
  order_id TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (machine, order_id, start)
);
CREATE INDEX IF NOT EXISTS job_history_end ON job_history (end);
`;

export interface HistoryRow {
  machine: string;
  start: number;
  end: number;
  /** period_id or event_id: with start, the row's place in the order. */
  id: string;
  body: Record<string, unknown>;
}

/** A keyset page: rows after (start, id), at most `limit`. */
export interface HistoryPage {
  after?: readonly [start: number, id: string];
  limit?: number;
}

type Body = Record<string, any>;

export class PipelineStore {
  readonly file: string;
  #db: Database.Database;
  #saveState: Database.Statement;
  #savePeriod: Database.Statement;
  #saveDowntime: Database.Statement;
  #saveJob: Database.Statement;

  constructor(file: string) {
    this.file = file;
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA_SQL);
    this.#saveState = this.#db.prepare('INSERT INTO machine_state (machine, snapshot, saved_at) VALUES (?, ?, ?) ON CONFLICT(machine) DO UPDATE SET snapshot = excluded.snapshot, saved_at = excluded.saved_at');
    // A re-issued period or re-assigned downtime replaces the older revision.
    this.#savePeriod = this.#db.prepare('INSERT INTO period_history VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(machine, period_id) DO UPDATE SET revision = excluded.revision, body = excluded.body WHERE excluded.revision >= period_history.revision');
    this.#saveDowntime = this.#db.prepare('INSERT INTO downtime_history VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(machine, event_id) DO UPDATE SET revision = excluded.revision, body = excluded.body WHERE excluded.revision >= downtime_history.revision');
    this.#saveJob = this.#db.prepare('INSERT OR REPLACE INTO job_history VALUES (?, ?, ?, ?, ?)');
  }

  /** Saved machine states; `problems` names the rows that could not be read (those machines start fresh). */
  loadSnapshots(problems: Array<{ machine: string; error: string }> = []): Map<string, MachineSnapshot> {
    const rows = this.#db.prepare('SELECT machine, snapshot FROM machine_state').all() as Array<{ machine: string; snapshot: string }>;
    const out = new Map<string, MachineSnapshot>();
    for (const r of rows) {
      try {
        const s = JSON.parse(r.snapshot) as MachineSnapshot;
        if (s?.v !== 1) throw new Error(`unsupported state version ${String(s?.v)}`);
        out.set(r.machine, s);
      } catch (err) {
        problems.push({ machine: r.machine, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return out;
  }

  saveSnapshots(snapshots: Map<string, MachineSnapshot>, at: number): void {
    if (!snapshots.size) return;
    this.#db.transaction(() => {
      for (const [machine, s] of snapshots) this.#saveState.run(machine, JSON.stringify(s), at);
    })();
  }

  /** Keep what belongs in history: closed periods, closed downtime, job results. */
  record(events: MachineEvent[]): void {
    const keep = events.filter((e) => (e.schema === SCHEMA.oee && e.body.status === 'closed') || (e.schema === SCHEMA.downtime && e.body.status !== 'open') || e.schema === SCHEMA.job);
    if (!keep.length) return;
    this.#db.transaction(() => {
      for (const e of keep) {
        const b = e.body as Body;
        const json = JSON.stringify(b);
        if (e.schema === SCHEMA.oee) this.#savePeriod.run(e.machine, b.periodId, b.kind, Date.parse(b.start), Date.parse(b.end), b.revision, json);
        else if (e.schema === SCHEMA.downtime) this.#saveDowntime.run(e.machine, b.eventId, Date.parse(b.start), Date.parse(b.end), b.revision, json);
        else this.#saveJob.run(e.machine, b.orderId, Date.parse(b.start), Date.parse(b.end), json);
      }
    })();
  }

  /** Drop history that ended before `before` (ms). Returns rows removed. */
  prune(before: number): number {
    let n = 0;
    this.#db.transaction(() => {
      for (const t of ['period_history', 'downtime_history', 'job_history']) n += this.#db.prepare(`DELETE FROM ${t} WHERE end < ?`).run(before).changes;
    })();
    return n;
  }

  periods(machine: string, from = 0, to = Number.MAX_SAFE_INTEGER, kind?: string, page: HistoryPage = {}): HistoryRow[] {
    const sql = `SELECT machine, start, end, body, period_id AS id FROM period_history WHERE machine = ? AND end > ? AND start < ?${kind ? ' AND kind = ?' : ''}`;
    return this.#rows(sql, kind ? [machine, from, to, kind] : [machine, from, to], 'period_id', page);
  }

  downtime(machine: string, from = 0, to = Number.MAX_SAFE_INTEGER, page: HistoryPage = {}): HistoryRow[] {
    return this.#rows('SELECT machine, start, end, body, event_id AS id FROM downtime_history WHERE machine = ? AND end > ? AND start < ?', [machine, from, to], 'event_id', page);
  }

  jobs(machine: string, from = 0, to = Number.MAX_SAFE_INTEGER): HistoryRow[] {
    return this.#rows('SELECT machine, start, end, body, order_id AS id FROM job_history WHERE machine = ? AND end > ? AND start < ?', [machine, from, to], 'order_id', {});
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** Ordered by (start, id); a page continues after a row's (start, id), so rows stay in order and none repeats. */
  #rows(sql: string, args: unknown[], idColumn: string, page: HistoryPage): HistoryRow[] {
    const after = page.after ? ` AND (start, ${idColumn}) > (?, ?)` : '';
    const limit = page.limit !== undefined ? ' LIMIT ?' : '';
    const all = [...args, ...(page.after ?? []), ...(page.limit !== undefined ? [page.limit] : [])];
    const rows = this.#db.prepare(`${sql}${after} ORDER BY start, ${idColumn}${limit}`).all(...all) as Array<{ machine: string; start: number; end: number; body: string; id: string }>;
    return rows.map((r) => ({ machine: r.machine, start: r.start, end: r.end, id: r.id, body: JSON.parse(r.body) as Record<string, unknown> }));
  }
}
