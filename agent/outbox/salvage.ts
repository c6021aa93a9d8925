// What a corrupt outbox file that was moved aside still tells: the messages it held (not yet
// delivered everywhere) are gone for the destinations, so each readable one is reported like a
// drop. Read in seq chunks, so a damaged page costs its chunk, not the whole report.
import Database from 'better-sqlite3';
import { IntervalSet, type Range } from './interval-set.ts';
import type { DropTally } from './drop-report.ts';
import { ROW_OVERHEAD } from './database.ts';

const CHUNK = 5000;

/**
 * Adds every readable row of `file` to `tally`; returns the seq span it could not read, if any.
 * `known` is the span the running outbox knew undelivered, used when the file cannot even say its own.
 */
export function salvage(file: string, tally: DropTally, known?: Range): { unreadable?: Range } {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    let span: { lo: number | null; hi: number | null };
    try {
      span = db.prepare('SELECT min(seq) AS lo, max(seq) AS hi FROM outbox').get() as typeof span;
    } catch {
      span = { lo: known?.[0] ?? null, hi: known?.[1] ?? null };
    }
    if (span.lo === null || span.hi === null) return known ? { unreadable: known } : {};
    const rows = db.prepare(`SELECT seq, machine, kind, ts, octet_length(body) + ${ROW_OVERHEAD} AS size FROM outbox WHERE seq BETWEEN ? AND ? ORDER BY seq`);
    const lost = new IntervalSet();
    for (let a = span.lo; a <= span.hi; a += CHUNK) {
      const b = Math.min(span.hi, a + CHUNK - 1);
      try {
        for (const r of rows.iterate(a, b) as Iterable<{ seq: number; machine: string; kind: string; ts: number; size: number }>) tally.add(r.machine, r.kind, r.seq, r.ts, r.size);
      } catch {
        lost.addRange(a, b);
      }
    }
    const [first, last] = [lost.ranges[0], lost.ranges.at(-1)];
    return first && last ? { unreadable: [first[0], last[1]] } : {};
  } catch {
    return known ? { unreadable: known } : {};
  } finally {
    try {
      db?.close();
    } catch {
      // a broken handle: nothing more to read from it
    }
  }
}

/** Seqs any destination of the moved file had confirmed (they may have arrived). */
export function confirmedIn(file: string): (seq: number) => boolean {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const sets = (db.prepare('SELECT acked FROM cursors').all() as Array<{ acked: string }>).map((r) => new IntervalSet(JSON.parse(r.acked) as Range[]));
    return (seq) => sets.some((s) => s.has(seq));
  } catch {
    return () => false;
  } finally {
    try {
      db?.close();
    } catch {
      // as above
    }
  }
}
