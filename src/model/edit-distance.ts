// Closeness of two names, for "did you mean" and near-miss annotation keys.

/** Levenshtein distance, bounded: returns `limit + 1` as soon as the distance exceeds `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}

/**
 * The names nearest to `wanted` for a "did you mean" (at most `limit` edits away, or containing it): the
 * single closest, or the few tied for closest. Empty when nothing is close.
 */
export function nearestNames(wanted: string, names: Iterable<string>, limit = 4): string[] {
  let best = limit + 1;
  let found: string[] = [];
  for (const name of names) {
    const d =
      name.includes(wanted) || wanted.includes(name)
        ? Math.min(editDistance(name, wanted, limit), limit)
        : editDistance(name, wanted, limit);
    if (d > limit) continue;
    if (d < best) {
      best = d;
      found = [name];
    } else if (d === best && !found.includes(name)) {
      found.push(name);
    }
  }
  return found.slice(0, 3);
}
