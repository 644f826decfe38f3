import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng, seedToUint32 } from '../prng.ts';

function take(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

describe('Rng', () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    expect(take(new Rng(42), 50)).toEqual(take(new Rng(42), 50));
    expect(take(new Rng('gate-3'), 50)).toEqual(take(new Rng('gate-3'), 50));
    expect(take(new Rng(42), 10)).not.toEqual(take(new Rng(43), 10));
    expect(take(new Rng(1), 10)).not.toEqual(take(new Rng(2 ** 32 + 1), 10));
  });

  it('draws uniform floats in [0, 1) and inclusive integer ranges', () => {
    const rng = new Rng(7);
    const xs = take(rng, 20_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.49);
    expect(mean).toBeLessThan(0.51);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(3, 7));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('draws normals with the requested mean and spread', () => {
    const rng = new Rng(9);
    const xs = Array.from({ length: 20_000 }, () => rng.normal(5, 2));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(mean).toBeGreaterThan(4.95);
    expect(mean).toBeLessThan(5.05);
    expect(sd).toBeGreaterThan(1.95);
    expect(sd).toBeLessThan(2.05);
  });

  it('derives independent, stable sub-seeds', () => {
    expect(deriveSeed(1, 'noise')).toBe(deriveSeed(1, 'noise'));
    expect(deriveSeed(1, 'noise')).not.toBe(deriveSeed(1, 'plate'));
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(2, 0));
    expect(() => seedToUint32(Number.NaN)).toThrow(/seed/);
  });

  it('picks by weight', () => {
    const rng = new Rng(3);
    let a = 0;
    for (let i = 0; i < 10_000; i++)
      if (
        rng.weighted([
          ['a', 3],
          ['b', 1],
        ] as const) === 'a'
      )
        a++;
    expect(a / 10_000).toBeGreaterThan(0.72);
    expect(a / 10_000).toBeLessThan(0.78);
  });
});
