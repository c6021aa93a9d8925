// The rows committed last, kept in memory so live traffic leaves without reading back what was
// just written: a destination that keeps up never touches the file for its messages. Rows go as
// soon as every connected destination has taken them (kept longer, every body would outlive the
// young generation and grow the old one), and the ring is bounded by count and bytes; a
// destination that falls behind reads the older rows from the file.
import type { CompiledFilter } from './cursor.ts';
import type { LeasedRow } from './database.ts';

export class RecentRows {
  #rows: LeasedRow[] = [];
  #head = 0;
  #bytes = 0;
  readonly #maxRows: number;
  readonly #maxBytes: number;

  constructor(maxRows = 20_000, maxBytes = 4 << 20) {
    this.#maxRows = maxRows;
    this.#maxBytes = maxBytes;
  }

  /** Lowest seq held, or Infinity when empty. */
  get first(): number {
    return this.#head < this.#rows.length ? this.#rows[this.#head]!.seq : Number.POSITIVE_INFINITY;
  }

  push(rows: readonly LeasedRow[]): void {
    for (const r of rows) {
      this.#rows.push(r);
      this.#bytes += r.size;
    }
    while (this.#rows.length - this.#head > this.#maxRows || (this.#bytes > this.#maxBytes && this.#rows.length - this.#head > 1)) {
      this.#bytes -= this.#rows[this.#head]!.size;
      this.#head++;
    }
    // Compact now and then instead of shifting on every push.
    if (this.#head > 4096 && this.#head * 2 > this.#rows.length) {
      this.#rows = this.#rows.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Forget the rows below `seq` (every destination that reads from memory is past them). */
  forgetBefore(seq: number): void {
    while (this.#head < this.#rows.length && this.#rows[this.#head]!.seq < seq) {
      this.#bytes -= this.#rows[this.#head]!.size;
      this.#rows[this.#head] = undefined as unknown as LeasedRow;
      this.#head++;
    }
    if (this.#head === this.#rows.length) this.clear();
  }

  /** Forget everything (the file was replaced). */
  clear(): void {
    this.#rows = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /**
   * Rows with from ≤ seq ≤ to; the caller checks from ≥ first. Rows a bound dropped are still
   * here, but no cursor asks for them: dropping marks them done for every destination.
   */
  rows(from: number, to: number, max: number, filter: CompiledFilter | undefined): { rows: LeasedRow[]; scannedTo: number } {
    const out: LeasedRow[] = [];
    // Seqs are dense in the ring except where rows were dropped: start near from - first.
    let i = this.#head + Math.max(0, Math.min(from - this.first, this.#rows.length - this.#head));
    while (i > this.#head && this.#rows[i - 1] !== undefined && this.#rows[i - 1]!.seq >= from) i--;
    while (i < this.#rows.length && this.#rows[i]!.seq < from) i++;
    let scannedTo = from - 1;
    for (; i < this.#rows.length; i++) {
      const r = this.#rows[i]!;
      if (r.seq > to) break;
      scannedTo = r.seq;
      if (filter && !filter.test(r)) continue;
      out.push(r);
      if (out.length >= max) return { rows: out, scannedTo };
    }
    return { rows: out, scannedTo: Math.max(scannedTo, Math.min(to, this.#rows.at(-1)?.seq ?? to)) };
  }
}
