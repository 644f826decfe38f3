import { describe, expect, it } from 'vitest';
import { StreamKeys } from '../redis/keys.ts';

describe('StreamKeys', () => {
  it('builds the contract names', () => {
    const k = new StreamKeys();
    expect([k.frames, k.results, k.dlq, k.alerts]).toEqual([
      'lpr:frames',
      'lpr:results',
      'lpr:dlq',
      'lpr:alerts',
    ]);
  });
  it('hash-tags partitions so a frame and its result share a slot', () => {
    const k = new StreamKeys('lpr', '3');
    expect(k.frames).toBe('lpr:{3}:frames');
    expect(k.results).toBe('lpr:{3}:results');
  });
  it('refuses prefixes that would break key parsing', () => {
    expect(() => new StreamKeys('a:b')).toThrow(/prefix/);
    expect(() => new StreamKeys('lpr', '{x}')).toThrow(/partition/);
  });
});
