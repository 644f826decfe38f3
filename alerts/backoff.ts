/**
 * Exponential backoff with "equal jitter": attempt n waits between half and all of
 * min(max, base * 2^(n-1)), so a crowd of failed deliveries does not retry in step.
 */
export function backoffDelay(
  attemptsMade: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attemptsMade - 1, 40)));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/**
 * How many attempts keep an alert alive for at least `retryForMs`: the sum of the shortest possible waits
 * (half of each nominal delay) must reach it. With jitter the real span lies between retryForMs and about
 * twice that.
 */
export function attemptsFor(retryForMs: number, baseMs: number, maxMs: number): number {
  let total = 0;
  let attempts = 1;
  while (total < retryForMs && attempts < 100_000) {
    total += Math.min(maxMs, baseMs * 2 ** Math.min(attempts - 1, 40)) / 2;
    attempts++;
  }
  return attempts;
}
