// A seeded PRNG (mulberry32): the simulated machine must replay the same day from the same seed.
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Exponentially distributed waiting time with the given mean (ms); Infinity when mean is. */
  exponential(meanMs: number): number {
    if (!Number.isFinite(meanMs)) return Number.POSITIVE_INFINITY;
    return -Math.log(1 - this.next()) * meanMs;
  }
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}
