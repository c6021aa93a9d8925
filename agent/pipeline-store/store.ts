// The pipeline's history file (`state.db` in agent.dataDir): closed periods, downtime events,
// job results and closed state intervals for the local read API, pruned after history.retention. The machines' state
// lives in the outbox's file, committed with the events (see agent/outbox/outbox.ts); a
// `machine_state` table here is what version 1 saved, read once to carry it over.
import Database from 'better-sqlite3';
import type { MachineEvent } from '../events.ts';
import { SCHEMA } from '../contract/payloads.ts';

const SCHEMA_SQL = `
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
CREATE TABLE IF NOT EXISTS state_history (
  machine TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  state TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (machine, start, state)
);
CREATE INDEX IF NOT EXISTS state_history_end ON state_history (end);
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
  #savePeriod: Database.Statement;
  #saveDowntime: Database.Statement;
  #saveJob: Database.Statement;
  #saveState: Database.Statement;

  constructor(file: string) {
    this.file = file;
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA_SQL);
    // A re-issued period or re-assigned downtime replaces the older revision.
    this.#savePeriod = this.#db.prepare('INSERT INTO period_history VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(machine, period_id) DO UPDATE SET revision = excluded.revision, body = excluded.body WHERE excluded.revision >= period_history.revision');
    this.#saveDowntime = this.#db.prepare('INSERT INTO downtime_history VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(machine, event_id) DO UPDATE SET revision = excluded.revision, body = excluded.body WHERE excluded.revision >= downtime_history.revision');
    this.#saveJob = this.#db.prepare('INSERT OR REPLACE INTO job_history VALUES (?, ?, ?, ?, ?)');
    this.#saveState = this.#db.prepare('INSERT OR REPLACE INTO state_history VALUES (?, ?, ?, ?, ?)');
  }

  /** The machine states a version 1 agent saved here, by machine (empty when none). */
  legacyState(): Map<string, string> {
    const exists = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'machine_state'").get();
    if (!exists) return new Map();
    const rows = this.#db.prepare('SELECT machine, snapshot FROM machine_state').all() as Array<{ machine: string; snapshot: string }>;
    return new Map(rows.map((r) => [r.machine, r.snapshot]));
  }

  /** Once the outbox holds the carried-over state, the old copy must not be read again. */
  dropLegacyState(): void {
    this.#db.exec('DROP TABLE IF EXISTS machine_state');
  }

  /** Keep what belongs in history: closed periods, closed downtime, job results, and the state interval each state change closes (an instant one, e.g. the first reading ending `unknown`, draws nothing). */
  record(events: MachineEvent[]): void {
    const keep = events.filter((e) => (e.schema === SCHEMA.oee && e.body.status === 'closed') || (e.schema === SCHEMA.downtime && e.body.status !== 'open') || e.schema === SCHEMA.job || (e.schema === SCHEMA.state && (e.body as Body).previous.durationMs > 0));
    if (!keep.length) return;
    this.#db.transaction(() => {
      for (const e of keep) {
        const b = e.body as Body;
        const json = JSON.stringify(b);
        if (e.schema === SCHEMA.oee) this.#savePeriod.run(e.machine, b.periodId, b.kind, Date.parse(b.start), Date.parse(b.end), b.revision, json);
        else if (e.schema === SCHEMA.downtime) this.#saveDowntime.run(e.machine, b.eventId, Date.parse(b.start), Date.parse(b.end), b.revision, json);
        else if (e.schema === SCHEMA.state) this.#saveState.run(e.machine, Date.parse(b.previous.start), Date.parse(b.previous.end), b.previous.state, JSON.stringify(b.previous));
        else this.#saveJob.run(e.machine, b.orderId, Date.parse(b.start), Date.parse(b.end), json);
      }
    })();
  }

  /** Drop history that ended before `before` (ms). Returns rows removed. */
  prune(before: number): number {
    let n = 0;
    this.#db.transaction(() => {
      for (const t of ['period_history', 'downtime_history', 'job_history', 'state_history']) n += this.#db.prepare(`DELETE FROM ${t} WHERE end < ?`).run(before).changes;
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

  /** Closed state intervals (the `previous` of each state change) overlapping the window; the open one is the machine's current state. */
  states(machine: string, from = 0, to = Number.MAX_SAFE_INTEGER, page: HistoryPage = {}): HistoryRow[] {
    return this.#rows('SELECT machine, start, end, body, state AS id FROM state_history WHERE machine = ? AND end > ? AND start < ?', [machine, from, to], 'state', page);
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
