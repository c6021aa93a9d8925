// Messages a destination refused for good (a webhook receiver answering 400, a broker rejecting
// a publish as not authorised). They stay in the outbox file, visible in metrics and the read
// API, until `lineside dead-letters resend` marks them to go again (the running agent picks
// them up within a second) or a bound drops them (reported like every drop).
import type { Db, LeasedRow } from './database.ts';
import { SIZE_SQL } from './database.ts';

export interface DeadLetter {
  dest: string;
  seq: number;
  at: number;
  code: string;
  reason: string;
  machine: string;
  kind: string;
  schema: string;
  ts: number;
}

export class DeadLetters {
  readonly #add;
  readonly #count;
  readonly #list;
  readonly #requeued;
  readonly #remove;
  readonly #forgetDest;

  constructor(db: Db) {
    this.#add = db.prepare<[string, number, number, string, string]>('INSERT OR REPLACE INTO dead_letters (dest, seq, at, code, reason, requeued) VALUES (?, ?, ?, ?, ?, 0)');
    this.#count = db.prepare<[], { dest: string; n: number }>('SELECT dest, count(*) AS n FROM dead_letters GROUP BY dest');
    this.#list = db.prepare<[string, number, number], DeadLetter>(
      'SELECT d.dest, d.seq, d.at, d.code, d.reason, o.machine, o.kind, o.schema, o.ts FROM dead_letters d JOIN outbox o ON o.seq = d.seq WHERE d.dest = ? AND d.seq > ? ORDER BY d.seq LIMIT ?',
    );
    this.#requeued = db.prepare<[], LeasedRow & { dest: string }>(
      `SELECT d.dest, o.seq, o.machine, o.kind, o.schema, o.ts, o.body, ${SIZE_SQL.replaceAll('body', 'o.body')} AS size FROM dead_letters d JOIN outbox o ON o.seq = d.seq WHERE d.requeued = 1 ORDER BY d.seq`,
    );
    this.#remove = db.prepare<[string, number]>('DELETE FROM dead_letters WHERE dest = ? AND seq = ?');
    this.#forgetDest = db.prepare<[string]>('DELETE FROM dead_letters WHERE dest = ?');
  }

  add(dest: string, seq: number, at: number, code: string, reason: string): void {
    this.#add.run(dest, seq, at, code, reason);
  }

  counts(): Map<string, number> {
    return new Map(this.#count.all().map((r) => [r.dest, r.n]));
  }

  list(dest: string, after = 0, limit = 100): DeadLetter[] {
    return this.#list.all(dest, after, limit);
  }

  /** Dead letters marked to go again, with their rows; they leave the table here. */
  takeRequeued(): Array<LeasedRow & { dest: string }> {
    const rows = this.#requeued.all();
    for (const r of rows) this.#remove.run(r.dest, r.seq);
    return rows;
  }

  forget(dest: string): number {
    return this.#forgetDest.run(dest).changes;
  }
}

/** Mark dead letters to go again (run by the CLI against the file; the agent may be running). */
export function requeueDeadLetters(db: Db, dest: string | undefined, seqs: number[] | undefined): number {
  let sql = 'UPDATE dead_letters SET requeued = 1 WHERE requeued = 0';
  const args: Array<string | number> = [];
  if (dest) {
    sql += ' AND dest = ?';
    args.push(dest);
  }
  if (seqs?.length) {
    sql += ` AND seq IN (${seqs.map(() => '?').join(', ')})`;
    args.push(...seqs);
  }
  return db.prepare(sql).run(...args).changes;
}
