/**
 * ISO 8601 text of a ms-epoch time, or undefined when `Date` cannot represent it (NaN, or further than
 * 8.64e15 ms from the epoch: `new Date(2 ** 53).toISOString()` throws RangeError). Readers format times
 * with this so that one entry with an absurd capture time cannot stop them.
 */
export function isoTime(ms: number): string | undefined {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return undefined;
  return new Date(ms).toISOString();
}
