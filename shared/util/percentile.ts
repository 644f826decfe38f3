/**
 * The one percentile rule (nearest rank): the smallest value with at least p % of the values at or below
 * it, i.e. sorted[ceil(p / 100 × n) − 1]. No interpolation, so every figure is a value that was measured.
 * NaN for no values. Used by benchmarks, the demo and the eval harness.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** percentile(values, 50): for an even count, the lower of the two middle values. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
