// Sequence numbers must never be reused, even when outbox.db is lost (corrupt and moved aside,
// or deleted by hand). The database holds the exact high-water mark; this sidecar file holds a
// reservation above it, written (and fsynced) before any seq beyond the previous reservation
// is handed out. A fresh database therefore starts above every seq that was ever used.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

export const RESERVATION_BLOCK = 100_000;

export class SeqReservation {
  readonly #file: string;
  #reserved: number;

  constructor(file: string) {
    this.#file = file;
    this.#reserved = readReservation(file);
  }

  /** Highest seq covered by the reservation on disk. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Make sure every seq up to `seq` is covered on disk before it is used. */
  ensure(seq: number): void {
    if (seq <= this.#reserved) return;
    const next = seq + RESERVATION_BLOCK;
    const tmp = `${this.#file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, `${next}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.#file);
    this.#reserved = next;
  }
}

function readReservation(file: string): number {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}
