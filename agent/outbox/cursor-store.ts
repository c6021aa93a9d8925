// Loading each destination's cursor when the outbox file opens: its saved acknowledged ranges, or
// where a destination new to the file starts, and how many messages it still wants.
import type { Logger } from '../log.ts';
import { DestinationCursor, type CursorState, type RowSource } from './cursor.ts';
import type { Db, Statements } from './database.ts';
import type { DeadLetters } from './dead-letters.ts';
import { IntervalSet } from './interval-set.ts';
import type { RowFilter } from './row-filter.ts';

export interface CursorSpec {
  name: string;
  strict?: boolean;
  filter?: RowFilter;
}

export interface LoadCursorsOptions {
  db: Db;
  stmts: Statements;
  specs: readonly CursorSpec[];
  lastSeq: number;
  /** Rows in the file. */
  depth: number;
  src: RowSource;
  deadLetters: DeadLetters;
  log: Logger;
}

/**
 * A destination new to this file starts at the current end (it is sent what is committed from
 * now on), except on a file of version 1, which kept only the rows its one publisher had not
 * delivered: those are the backlog of the first destination (mqtt). A destination no longer
 * configured loses its cursor and dead letters, so it holds no rows back.
 */
export function loadCursors(o: LoadCursorsOptions): DestinationCursor[] {
  const saved = new Map(o.stmts.loadCursors.all().map((r) => [r.dest, r]));
  let legacyAcked: IntervalSet | undefined;
  if (saved.size === 0 && o.depth > 0) {
    legacyAcked = new IntervalSet();
    let next = 1;
    for (const { seq } of o.stmts.existingSeqs.iterate()) {
      legacyAcked.addRange(next, seq - 1);
      next = seq + 1;
    }
    legacyAcked.addRange(next, o.lastSeq);
  }
  const out: DestinationCursor[] = [];
  for (const spec of o.specs) {
    const row = saved.get(spec.name);
    let state: CursorState;
    if (row) state = { acked: JSON.parse(row.acked) as CursorState['acked'], sentHigh: row.sent_high };
    else if (legacyAcked && spec === o.specs[0]) state = { acked: [...legacyAcked.ranges], sentHigh: 0 };
    else state = { acked: o.lastSeq > 0 ? [[1, o.lastSeq]] : [], sentHigh: o.lastSeq };
    const c = new DestinationCursor({ name: spec.name, strict: spec.strict ?? false, ...(spec.filter ? { filter: spec.filter } : {}), src: o.src, state });
    if (!row) c.markDirty();
    c.pending = countWanted(o.db, c, o.depth, o.lastSeq);
    out.push(c);
  }
  for (const name of saved.keys()) {
    if (o.specs.some((s) => s.name === name)) continue;
    o.stmts.deleteCursor.run(name);
    const dead = o.deadLetters.forget(name);
    o.log.info({ destination: name, deadLetters: dead }, 'destination no longer configured; its cursor and dead letters are gone');
  }
  return out;
}

function countWanted(db: Db, c: DestinationCursor, depth: number, lastSeq: number): number {
  if (depth === 0) return 0;
  const count = db.prepare(`SELECT count(*) AS n FROM outbox WHERE seq BETWEEN ? AND ?${c.filter ? ` AND ${c.filter.sql}` : ''}`);
  let n = 0;
  for (const [a, b] of c.ackedSet.gaps(1, lastSeq)) n += (count.get(a, b, ...(c.filter?.params ?? [])) as { n: number }).n;
  return n;
}
