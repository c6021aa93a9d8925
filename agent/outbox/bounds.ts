// Dropping messages when the outbox hits its bounds. The order is the contract: the oldest
// telemetry goes first, then state and events, and OEE, downtime and job results last. Every
// dropped row is tallied per machine so the drop can be reported to the receiver.
import type { EventKind } from '../events.ts';
import { SIZE_SQL, type Db } from './database.ts';
import type { DropTally } from './drop-report.ts';

export { ROW_OVERHEAD } from './database.ts';

/** Drop priority: lower goes first. */
export const PRIORITY: Record<EventKind, number> = { telemetry: 0, state: 1, event: 1, oee: 2, downtime: 2, job: 2, audit: 2 };
export const MAX_PRIORITY = 2;
/** Drop reports: above every priority a bound drops, so a report is never dropped (it explains the gaps). */
export const REPORT_PRIORITY = 3;

/** Dead letters whose rows a drop removed go with them (the drop report covers them). */
function forgetGone(db: Db) {
  const stmt = db.prepare<[number, number, number, number]>('DELETE FROM dead_letters WHERE seq BETWEEN ? AND ? AND seq NOT IN (SELECT seq FROM outbox WHERE seq BETWEEN ? AND ?)');
  return { run: (a: number, b: number) => stmt.run(a, b, a, b) };
}

interface CandidateRow { seq: number; machine: string; kind: string; ts: number; size: number }

const CHUNK = 2000;

/**
 * Delete the oldest rows, lowest priority first, until at least `needBytes` are freed, with their
 * dead letters. A row in flight may go too: the report says it may have arrived. Runs inside the
 * caller's transaction.
 */
export function dropForSpace(db: Db, needBytes: number, tally: DropTally): void {
  const select = db.prepare<[number, number, number], CandidateRow>(
    `SELECT seq, machine, kind, ts, ${SIZE_SQL} AS size FROM outbox WHERE prio = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const del = db.prepare<[number, number, number]>('DELETE FROM outbox WHERE prio = ? AND seq BETWEEN ? AND ?');
  const forget = forgetGone(db);
  let freed = 0;
  for (let prio = 0; prio <= MAX_PRIORITY && freed < needBytes; prio++) {
    let after = 0;
    while (freed < needBytes) {
      const rows = select.all(prio, after, CHUNK);
      if (rows.length === 0) break;
      let last = after;
      for (const r of rows) {
        tally.add(r.machine, r.kind, r.seq, r.ts, r.size);
        freed += r.size;
        last = r.seq;
        if (freed >= needBytes) break;
      }
      del.run(prio, after + 1, last);
      forget.run(after + 1, last);
      after = last;
    }
  }
}

/**
 * Delete the oldest rows while their fact is older than `cutoff` (ms), drop reports excepted.
 * Walks in seq order and stops at the first younger row, so a sweep over a large backlog costs
 * what it deletes, not a table scan; a late fact behind a younger one goes in a later sweep.
 */
export function dropOlderThan(db: Db, cutoff: number, tally: DropTally): void {
  const select = db.prepare<[number, number], CandidateRow & { prio: number }>(`SELECT seq, machine, kind, ts, prio, ${SIZE_SQL} AS size FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`);
  const del = db.prepare<[number, number, number]>('DELETE FROM outbox WHERE seq BETWEEN ? AND ? AND prio <= ?');
  const forget = forgetGone(db);
  let after = 0;
  for (;;) {
    const rows = select.all(after, CHUNK);
    let last = after;
    for (const r of rows) {
      if (r.ts >= cutoff) break;
      if (r.prio <= MAX_PRIORITY) tally.add(r.machine, r.kind, r.seq, r.ts, r.size);
      last = r.seq;
    }
    if (last === after) return;
    del.run(after + 1, last, MAX_PRIORITY);
    forget.run(after + 1, last);
    if (last !== rows[rows.length - 1]!.seq) return;
    after = last;
  }
}

/** An event waiting for the next commit. */
export interface PendingRow { machine: string; kind: EventKind; schema: string; ts: number; prio: number; body: string; size: number }

/** Keep at most `limit` pending events, dropping the oldest of the lowest priority first. */
export function dropFromMemory(pending: PendingRow[], limit: number, tally: DropTally): PendingRow[] {
  let excess = pending.length - limit;
  const drop = new Set<PendingRow>();
  for (let prio = 0; prio <= MAX_PRIORITY && excess > 0; prio++) {
    for (const p of pending) {
      if (excess === 0) break;
      if (p.prio === prio) {
        drop.add(p);
        excess--;
      }
    }
  }
  for (const p of drop) tally.add(p.machine, p.kind, 0, p.ts, p.size);
  return pending.filter((p) => !drop.has(p));
}
