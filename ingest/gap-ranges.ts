// Pure seq arithmetic for the gap finder: the holes it found, minus what drop reports explain.
// Ranges are inclusive [first, last].
export type Range = readonly [number, number];

/** Merges ranges into ascending, non-overlapping, non-adjacent ones. */
export function merge(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Splits `hole` into the parts `covered` explains and the parts it does not. */
export function explain(hole: Range, covered: readonly Range[]): { explained: Range[]; open: Range[] } {
  const explained: Range[] = [];
  const open: Range[] = [];
  let at = hole[0];
  for (const [a, b] of merge(covered)) {
    if (b < at || a > hole[1]) continue;
    if (a > at) open.push([at, a - 1]);
    const end = Math.min(b, hole[1]);
    explained.push([Math.max(a, at), end]);
    at = end + 1;
    if (at > hole[1]) break;
  }
  if (at <= hole[1]) open.push([at, hole[1]]);
  return { explained, open };
}
