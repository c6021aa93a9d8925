// Dropping messages when the outbox hits its bounds. The order is the contract: the oldest
// telemetry goes first, then state and events, and OEE, downtime and job results last. Every
// dropped row is tallied per machine so the drop can be reported to the receiver.
import type { EventKind } from '../events.ts';
import { SIZE_SQL, type Db } from './database.ts';

export { ROW_OVERHEAD } from './database.ts';

export type DropReason = 'maxBytes' | 'maxAge' | 'diskFull';

/** Drop priority: lower goes first. */
export const PRIORITY: Record<EventKind, number> = { telemetry: 0, state: 1, event: 1, oee: 2, downtime: 2, job: 2 };
export const MAX_PRIORITY = 2;


/** What was dropped from one machine in one round. */
export interface MachineDrops {
  count: number;
  byKind: Record<string, number>;
  firstSeq: number;
  lastSeq: number;
  fromTs: number;
  toTs: number;
}

export class DropTally {
  readonly byMachine = new Map<string, MachineDrops>();
  total = 0;
  bytes = 0;

  add(machine: string, kind: string, seq: number, ts: number, size: number): void {
    let d = this.byMachine.get(machine);
    if (!d) {
      d = { count: 0, byKind: {}, firstSeq: seq, lastSeq: seq, fromTs: ts, toTs: ts };
      this.byMachine.set(machine, d);
    }
    d.count++;
    d.byKind[kind] = (d.byKind[kind] ?? 0) + 1;
    d.firstSeq = Math.min(d.firstSeq, seq);
    d.lastSeq = Math.max(d.lastSeq, seq);
    d.fromTs = Math.min(d.fromTs, ts);
    d.toTs = Math.max(d.toTs, ts);
    this.total++;
    this.bytes += size;
  }
}

interface CandidateRow { seq: number; machine: string; kind: string; ts: number; size: number }

const CHUNK = 2000;

/**
 * Delete the oldest rows, lowest priority first, until at least `needBytes` are freed. Rows with
 * seq <= `leasedUpTo` are in flight and are left alone. Runs inside the caller's transaction.
 */
export function dropForSpace(db: Db, needBytes: number, leasedUpTo: number, tally: DropTally): void {
  const select = db.prepare<[number, number, number], CandidateRow>(
    `SELECT seq, machine, kind, ts, ${SIZE_SQL} AS size FROM outbox WHERE prio = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const del = db.prepare<[number, number, number]>('DELETE FROM outbox WHERE prio = ? AND seq BETWEEN ? AND ?');
  let freed = 0;
  for (let prio = 0; prio <= MAX_PRIORITY && freed < needBytes; prio++) {
    let after = leasedUpTo;
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
      after = last;
    }
  }
}

/**
 * Delete the oldest rows while their fact is older than `cutoff` (ms). Walks in seq order and stops
 * at the first younger row, so a sweep over a large backlog costs what it deletes, not a table scan;
 * a late fact behind a younger one goes in a later sweep.
 */
export function dropOlderThan(db: Db, cutoff: number, leasedUpTo: number, tally: DropTally): void {
  const select = db.prepare<[number, number], CandidateRow>(`SELECT seq, machine, kind, ts, ${SIZE_SQL} AS size FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`);
  const del = db.prepare<[number, number]>('DELETE FROM outbox WHERE seq BETWEEN ? AND ?');
  let after = leasedUpTo;
  for (;;) {
    const rows = select.all(after, CHUNK);
    let last = after;
    for (const r of rows) {
      if (r.ts >= cutoff) break;
      tally.add(r.machine, r.kind, r.seq, r.ts, r.size);
      last = r.seq;
    }
    if (last === after) return;
    del.run(after + 1, last);
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
