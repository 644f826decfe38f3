import { describe, expect, it } from 'vitest';
import { votePlate } from '../voting.ts';

const r = (plate: string, confidence: number, chars?: number[]) => ({ plate, confidence, chars });

describe('votePlate', () => {
  it('outvotes a misread frame', () => {
    const v = votePlate([r('AB123CD', 0.9), r('AB128CD', 0.95), r('AB123CD', 0.8), r('AB123CD', 0.85)], {
      patterns: [],
    });
    expect(v.plate).toBe('AB123CD');
    expect(v.alternatives).toEqual([{ plate: 'AB128CD', votes: 0.95 }]);
    expect(v.confidence).toBeGreaterThan(0.7);
    expect(v.confidence).toBeLessThan(0.9);
  });

  it('decides the length first, then positions', () => {
    // The 6-character read is the most confident single read, but two 7-character reads outweigh it.
    const v = votePlate([r('AB13CD', 0.95), r('AB123CD', 0.6), r('AB123CD', 0.6)], { patterns: [] });
    expect(v.plate).toBe('AB123CD');
  });

  it('combines positions from different reads by character confidence', () => {
    // Neither read is right as a whole; each is sure of the character the other doubts.
    const v = votePlate(
      [
        r('XB123CD', 0.8, [0.2, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]),
        r('AB123CQ', 0.8, [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.3]),
      ],
      { patterns: [] },
    );
    expect(v.plate).toBe('AB123CD');
  });

  it('counts near (large) reads more than far (small) ones', () => {
    // An approaching car: three confident reads far away say I, two near ones say J.
    const reads = [
      { ...r('LB78UIR', 0.9), weight: Math.sqrt(12 / 40) },
      { ...r('LB78UIR', 0.9), weight: Math.sqrt(16 / 40) },
      { ...r('LB78UIR', 0.9), weight: Math.sqrt(20 / 40) },
      { ...r('LB78UJR', 0.95), weight: Math.sqrt(36 / 40) },
      { ...r('LB78UJR', 0.95), weight: 1 },
    ];
    expect(votePlate(reads, { patterns: [] }).plate).toBe('LB78UJR');
    // Unweighted, the far reads win.
    expect(
      votePlate(
        reads.map(({ weight: _, ...x }) => x),
        { patterns: [] },
      ).plate,
    ).toBe('LB78UIR');
  });

  it('applies format rules when the voted text fits no pattern', () => {
    const reads = [r('AB1ZCDE', 0.9), r('AB12CDE', 0.5)];
    expect(votePlate(reads, { patterns: [] }).plate).toBe('AB1ZCDE');
    expect(votePlate(reads, { patterns: ['LL99LLL'] }).plate).toBe('AB12CDE');
    // No read has a digit at position 4: the look-alike correction Z→2 fills it.
    expect(votePlate([r('AB1ZCDE', 0.9)], { patterns: ['LL99LLL'] }).plate).toBe('AB12CDE');
  });

  it('returns nothing for no reads', () => {
    expect(votePlate([], { patterns: [] })).toEqual({ plate: '', confidence: 0, alternatives: [] });
  });
});
