// "did you mean `dataDir`?" for an unknown key: the allowed key within two edits of it.

/** Levenshtein distance, ignoring case (a wrong case is the commonest slip: `datadir`). */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[t.length]!;
}

/**
 * The allowed key closest to `key`: at most two edits away, and fewer edits than the shorter of
 * the two has letters (`x` is not a typo of `id`).
 */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = distance(key, candidate);
    if (d < bestDistance && d <= 2 && d < Math.min(key.length, candidate.length)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
