/**
 * Small seeded PRNG (mulberry32) so that every synthetic image is a pure function of its seed, on any
 * machine and Node version (Math.random cannot be seeded). Not for cryptography.
 */

export type Seed = number | string;

/** 32-bit FNV-1a over the UTF-16 code units of a string, finished with a murmur3-style mix. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Turns a seed (number or string) into a uint32; numbers are mixed so that 1, 2, 3 give unrelated streams. */
export function seedToUint32(seed: Seed): number {
  if (typeof seed === 'string') return hashString(seed);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number or a string, got ${seed}`);
  // Fold the high bits of large integers in, so that 2**32 + 1 and 1 differ.
  const hi = Math.floor(seed / 2 ** 32);
  return mix32((seed >>> 0) ^ mix32(hi >>> 0));
}

/** Derives an independent seed for a named sub-stream (e.g. the i-th image of a set, or the noise layer). */
export function deriveSeed(seed: Seed, label: string | number): number {
  return hashString(`${seedToUint32(seed)}/${label}`);
}

export class Rng {
  private state: number;

  constructor(seed: Seed) {
    this.state = seedToUint32(seed);
  }

  /** Uniform 32-bit unsigned integer. mulberry32. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [min, max). */
  float(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  /** Standard normal sample (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An independent generator for a named part of the work, so parts can change without shifting others. */
  fork(label: string | number): Rng {
    return new Rng(hashString(`${this.state}/${label}`));
  }
}
