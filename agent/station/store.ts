// The station's local SQLite file (`{dataDir}/station.db`): the audit log of every operator and
// admin action, and the job orders the agent received (from the ERP over MQTT, or the station).
// Both are bounded by age and count, pruned as rows are added.
import Database from 'better-sqlite3';

export interface AuditRecord {
  id: number;
  ts: number;
  actor: string;
  role: string;
  via: string;
  action: string;
  machine: string | null;
  outcome: 'ok' | 'refused' | 'failed';
  detail: Record<string, unknown>;
}

export interface JobOrderRecord {
  id: number;
  ts: number;
  machine: string;
  action: 'start' | 'end';
  orderId: string;
  product: string | null;
  idealCycleTime: number | null;
  target: number | null;
  source: 'mqtt' | 'station';
  by: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, via TEXT NOT NULL,
  action TEXT NOT NULL, machine TEXT, outcome TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS job_orders (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, machine TEXT NOT NULL, action TEXT NOT NULL, order_id TEXT NOT NULL,
  product TEXT, ideal_cycle_time REAL, target INTEGER, source TEXT NOT NULL, by TEXT);
`;

/** Rows kept per table; older ones go (the published audit messages are the long-term record). */
export const MAX_ROWS = 100_000;

export class StationStore {
  #db: Database.Database;
  #stmts;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
    this.#stmts = {
      audit: this.#db.prepare('INSERT INTO audit (ts, actor, role, via, action, machine, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      pruneAudit: this.#db.prepare('DELETE FROM audit WHERE id <= ?'),
      listAudit: this.#db.prepare('SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?'),
      job: this.#db.prepare('INSERT INTO job_orders (ts, machine, action, order_id, product, ideal_cycle_time, target, source, by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      pruneJobs: this.#db.prepare('DELETE FROM job_orders WHERE id <= ?'),
      listJobs: this.#db.prepare('SELECT * FROM job_orders WHERE id < ? ORDER BY id DESC LIMIT ?'),
    };
  }

  addAudit(r: Omit<AuditRecord, 'id'>): AuditRecord {
    const id = Number(this.#stmts.audit.run(r.ts, r.actor, r.role, r.via, r.action, r.machine, r.outcome, JSON.stringify(r.detail)).lastInsertRowid);
    if (id > MAX_ROWS) this.#stmts.pruneAudit.run(id - MAX_ROWS);
    return { id, ...r };
  }

  audit(limit: number, before = Number.MAX_SAFE_INTEGER): AuditRecord[] {
    return (this.#stmts.listAudit.all(before, limit) as Array<Record<string, unknown>>).map((r) => ({
      id: r.id as number, ts: r.ts as number, actor: r.actor as string, role: r.role as string, via: r.via as string, action: r.action as string,
      machine: (r.machine as string | null) ?? null, outcome: r.outcome as AuditRecord['outcome'], detail: JSON.parse(r.detail as string) as Record<string, unknown>,
    }));
  }

  addJob(r: Omit<JobOrderRecord, 'id'>): void {
    const id = Number(this.#stmts.job.run(r.ts, r.machine, r.action, r.orderId, r.product, r.idealCycleTime, r.target, r.source, r.by).lastInsertRowid);
    if (id > MAX_ROWS) this.#stmts.pruneJobs.run(id - MAX_ROWS);
  }

  jobs(limit: number, before = Number.MAX_SAFE_INTEGER): JobOrderRecord[] {
    return (this.#stmts.listJobs.all(before, limit) as Array<Record<string, unknown>>).map((r) => ({
      id: r.id as number, ts: r.ts as number, machine: r.machine as string, action: r.action as JobOrderRecord['action'], orderId: r.order_id as string,
      product: (r.product as string | null) ?? null, idealCycleTime: (r.ideal_cycle_time as number | null) ?? null, target: (r.target as number | null) ?? null,
      source: r.source as JobOrderRecord['source'], by: (r.by as string | null) ?? null,
    }));
  }

  close(): void {
    this.#db.close();
  }
}
