/** Longest word a suggestion is looked for: no name the schema knows is longer. */
const MAX_WORD = 64;

/**
 * Did-you-mean: the closest candidate within a small edit distance, if any.
 * Linear in the candidates: a candidate whose length differs by more than the
 * limit cannot be within it and is skipped, and words longer than any known name
 * get no suggestion, so each comparison costs at most MAX_WORD² steps.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > MAX_WORD) return undefined;
  const limit = Math.max(1, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - word.length) >= bestDistance) continue;
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Damerau-Levenshtein (optimal string alignment) distance. */
export function editDistance(a: string, b: string): number {
  const cols = b.length + 1;
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: cols }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The did-you-mean hint for `word` among `candidates`, or undefined when none is close. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const s = closest(word, candidates);
  return s === undefined ? undefined : `did you mean ${JSON.stringify(s)}?`;
}
