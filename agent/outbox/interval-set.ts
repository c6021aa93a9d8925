// A set of integers kept as sorted, disjoint, non-adjacent closed ranges. A destination's
// acknowledged seqs are mostly one range from 1 up; a backlog draining behind live traffic
// adds a second, and a few acknowledgements out of order add short-lived holes. The ranges
// are what is persisted, so a restart knows exactly what each destination already has.

export type Range = readonly [from: number, to: number];

export class IntervalSet {
  /** Sorted by start; no two touch or overlap. */
  #r: Array<[number, number]>;

  constructor(ranges: readonly Range[] = []) {
    this.#r = [];
    for (const [a, b] of ranges) this.addRange(a, b);
  }

  get ranges(): readonly Range[] {
    return this.#r;
  }

  /** The lowest value not in the set that is ≥ `from`. */
  nextMissing(from: number): number {
    const i = this.#find(from);
    return i >= 0 ? this.#r[i]![1] + 1 : from;
  }

  /** The end of the first range when it starts at or below `from` (everything up to it is in), else from - 1. */
  prefixEnd(from = 1): number {
    const first = this.#r[0];
    return first && first[0] <= from ? first[1] : from - 1;
  }

  has(x: number): boolean {
    return this.#find(x) >= 0;
  }

  add(x: number): boolean {
    if (this.has(x)) return false;
    this.addRange(x, x);
    return true;
  }

  /** Take `x` out (a dead letter sent again). */
  delete(x: number): void {
    const i = this.#find(x);
    if (i < 0) return;
    const [a, b] = this.#r[i]!;
    const parts: Array<[number, number]> = [];
    if (a < x) parts.push([a, x - 1]);
    if (x < b) parts.push([x + 1, b]);
    this.#r.splice(i, 1, ...parts);
  }

  addRange(a: number, b: number): void {
    if (b < a) return;
    // First range that ends at or after a - 1 (could merge), last that starts at or before b + 1.
    let lo = 0;
    let hi = this.#r.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#r[mid]![1] < a - 1) lo = mid + 1;
      else hi = mid;
    }
    let j = lo;
    let from = a;
    let to = b;
    while (j < this.#r.length && this.#r[j]![0] <= b + 1) {
      from = Math.min(from, this.#r[j]![0]);
      to = Math.max(to, this.#r[j]![1]);
      j++;
    }
    this.#r.splice(lo, j - lo, [from, to]);
  }

  /** Values in [a, b] that are not in the set, as ranges. */
  gaps(a: number, b: number): Range[] {
    const out: Range[] = [];
    let cur = a;
    for (const [x, y] of this.#r) {
      if (y < cur) continue;
      if (x > b) break;
      if (x > cur) out.push([cur, Math.min(x - 1, b)]);
      cur = y + 1;
      if (cur > b) break;
    }
    if (cur <= b) out.push([cur, b]);
    return out;
  }

  /** Count of members in [a, b]. */
  countIn(a: number, b: number): number {
    let n = 0;
    for (const [x, y] of this.#r) {
      if (y < a) continue;
      if (x > b) break;
      n += Math.min(y, b) - Math.max(x, a) + 1;
    }
    return n;
  }

  /** Ranges in every one of the sets. */
  static intersect(sets: readonly IntervalSet[]): Range[] {
    if (sets.length === 0) return [];
    let acc: Range[] = [...sets[0]!.ranges];
    for (const s of sets.slice(1)) {
      const next: Range[] = [];
      let i = 0;
      let j = 0;
      const other = s.ranges;
      while (i < acc.length && j < other.length) {
        const a = Math.max(acc[i]![0], other[j]![0]);
        const b = Math.min(acc[i]![1], other[j]![1]);
        if (a <= b) next.push([a, b]);
        if (acc[i]![1] < other[j]![1]) i++;
        else j++;
      }
      acc = next;
    }
    return acc;
  }

  toJSON(): Range[] {
    return this.#r;
  }

  #find(x: number): number {
    let lo = 0;
    let hi = this.#r.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = this.#r[mid]!;
      if (x < a) hi = mid - 1;
      else if (x > b) lo = mid + 1;
      else return mid;
    }
    return -1;
  }
}
