// What a stopped agent's outbox.db says about one destination: the highest seq ever committed
// and the seqs it still holds for that destination. A seq at most `lastSeq` that neither reached
// the receiver nor waits in the file was lost (the runs that use this set no bound that drops).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IntervalSet, type Range } from '../../../agent/outbox/interval-set.ts';

export interface Ledger {
  lastSeq: number;
  /** Seqs in the file the destination has not acknowledged (nor dead-lettered). */
  waiting: Set<number>;
}

export function readLedger(dataDir: string, dest: string): Ledger {
  const db = new Database(join(dataDir, 'outbox.db'), { readonly: true, fileMustExist: true });
  try {
    const lastSeq = (db.prepare("SELECT value FROM meta WHERE key = 'seq'").get() as { value: number } | undefined)?.value ?? 0;
    const row = db.prepare('SELECT acked FROM cursors WHERE dest = ?').get(dest) as { acked: string } | undefined;
    const acked = new IntervalSet(row ? (JSON.parse(row.acked) as Range[]) : []);
    const waiting = new Set<number>();
    for (const { seq } of db.prepare('SELECT seq FROM outbox ORDER BY seq').iterate() as Iterable<{ seq: number }>) if (!acked.has(seq)) waiting.add(seq);
    return { lastSeq, waiting };
  } finally {
    db.close();
  }
}

/** Seqs 1..lastSeq that neither arrived nor wait in the file. */
export function lost(ledger: Ledger, received: Set<number>, from = 1): number[] {
  const out: number[] = [];
  for (let s = from; s <= ledger.lastSeq; s++) if (!received.has(s) && !ledger.waiting.has(s)) out.push(s);
  return out;
}
