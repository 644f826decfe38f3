/**
 * Finds watchlist plates within a small edit distance of a read plate without scanning the list:
 * every plate is indexed under each string obtained by deleting up to `maxDistance` characters
 * (symmetric-delete method); a query generates its own deletions, collects the plates that share one,
 * and confirms each candidate with a real Levenshtein distance. For distance 1 and 7-character plates
 * that is 8 map entries per plate and 8 map probes per query.
 */
export class FuzzyIndex {
  private readonly byDeletion = new Map<string, string[]>();
  readonly size: number;

  constructor(
    plates: Iterable<string>,
    readonly maxDistance: number,
  ) {
    let n = 0;
    for (const plate of plates) {
      n++;
      for (const d of deletions(plate, maxDistance)) {
        const list = this.byDeletion.get(d);
        if (list) list.push(plate);
        else this.byDeletion.set(d, [plate]);
      }
    }
    this.size = n;
  }

  /** Plates within `maxDistance` of `plate` (excluding an exact match), nearest first, then alphabetical. */
  search(plate: string, maxDistance = this.maxDistance): Array<{ plate: string; distance: number }> {
    const d = Math.min(maxDistance, this.maxDistance);
    if (d <= 0) return [];
    const seen = new Set<string>();
    const out: Array<{ plate: string; distance: number }> = [];
    for (const del of deletions(plate, d)) {
      for (const cand of this.byDeletion.get(del) ?? []) {
        if (cand === plate || seen.has(cand)) continue;
        seen.add(cand);
        const dist = levenshtein(plate, cand, d);
        if (dist <= d) out.push({ plate: cand, distance: dist });
      }
    }
    return out.sort(
      (a, b) => a.distance - b.distance || (a.plate < b.plate ? -1 : a.plate > b.plate ? 1 : 0),
    );
  }
}

/** The string itself and every string made by deleting up to `max` characters. */
export function deletions(s: string, max: number): Set<string> {
  const out = new Set<string>([s]);
  let frontier = [s];
  for (let k = 0; k < max; k++) {
    const next: string[] = [];
    for (const w of frontier) {
      for (let i = 0; i < w.length; i++) {
        const d = w.slice(0, i) + w.slice(i + 1);
        if (!out.has(d)) {
          out.add(d);
          next.push(d);
        }
      }
    }
    frontier = next;
  }
  return out;
}

/** Levenshtein distance (insert, delete, substitute), giving up early once it exceeds `limit`. */
export function levenshtein(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length]!;
}
