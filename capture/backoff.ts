/** Exponential backoff with jitter: min · 2^attempt, capped at max, each delay scaled by 0.8..1.2 at random. */
export function backoffDelay(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(base * (0.8 + 0.4 * random()));
}
