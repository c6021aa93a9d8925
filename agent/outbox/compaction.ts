// Giving a drained outbox's free pages back to the file system, a bounded step at a time.
// Vacuuming a drained 1 GiB outbox in one go blocks the event loop for seconds (polls, PUBACKs
// and keep-alives all wait); 1024 pages (4 MiB) a step keeps each one short.
import type { Db } from './database.ts';

const STEP_PAGES = 1024;
const MIN_FREE = 256;

export class Compaction {
  /** A compaction in progress: one step per call until the free pages are given back. */
  #active = false;

  /** One step (incremental vacuum), truncating the WAL once done; true while more steps remain. Throws what failed. */
  step(db: Db): boolean {
    try {
      const free = db.pragma('freelist_count', { simple: true }) as number;
      const total = db.pragma('page_count', { simple: true }) as number;
      if (!this.#active && free > MIN_FREE && free * 4 > total) this.#active = true;
      if (!this.#active) return false;
      db.pragma(`incremental_vacuum(${STEP_PAGES})`);
      if (free - STEP_PAGES <= MIN_FREE) {
        this.#active = false;
        db.pragma('wal_checkpoint(TRUNCATE)');
      }
      return this.#active;
    } catch (err) {
      this.#active = false;
      throw err;
    }
  }
}
