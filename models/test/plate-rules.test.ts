import { describe, expect, it } from 'vitest';
import { choosePlates, scoreRead, WEAKEST_DROP_PENALTY, withoutWeakest } from '../plate/choose.ts';
import { applyPattern, expandFormats, matchFormats } from '../plate/formats.ts';
import { normaliseRead, normaliseText } from '../plate/normalise.ts';
import { ctcDecode, slotDecode } from '../read/ctc-decode.ts';
import { parsePpocrKeys } from '../read/ppocr-rec.ts';
import type { ReadResult } from '../read/reader.ts';

const chars = (text: string, confidence = 0.95) => [...text].map((ch) => ({ ch, confidence }));

describe('CTC and slot decoding', () => {
  it('collapses repeats, drops blanks, keeps per-character confidence', () => {
    // classes: 0 blank, 1 'A', 2 'B'; steps: A A blank A B
    const rows = [
      [0.1, 0.8, 0.1],
      [0.1, 0.9, 0],
      [0.9, 0.05, 0.05],
      [0.2, 0.7, 0.1],
      [0.1, 0.2, 0.7],
    ];
    const r = ctcDecode(new Float32Array(rows.flat()), 0, 5, 3, (i) => ' AB'[i]!);
    expect(r.text).toBe('AAB');
    expect(r.chars.map((c) => c.confidence)).toEqual([0.9, 0.7, 0.7].map((v) => Math.fround(v)));
    expect(r.confidence).toBeCloseTo((0.9 + 0.7 + 0.7) / 3, 5);
  });

  it('decodes fixed slots and drops padding', () => {
    const alphabet = 'AB_';
    const slots = [
      [0.9, 0.05, 0.05],
      [0.1, 0.8, 0.1],
      [0, 0, 1],
    ];
    const r = slotDecode(new Float32Array(slots.flat()), 0, 3, alphabet, '_');
    expect(r.text).toBe('AB');
    expect(r.confidence).toBeCloseTo((0.9 + 0.8 + 1) / 3, 5);
  });

  it('parses the PP-OCR dictionary with the trailing space class', () => {
    expect(parsePpocrKeys('a\nb\nc')).toEqual(['a', 'b', 'c', ' ']);
    expect(parsePpocrKeys('a\nb\n')).toEqual(['a', 'b', ' ']);
  });
});

describe('normalisation', () => {
  it('keeps A-Z0-9, counts separators as evidence, drops non-Latin', () => {
    const n = normaliseRead(chars('ab-12 3·cd京'));
    expect(n.text).toBe('AB123CD');
    expect(n.separators).toBe(3);
    expect(n.dropped).toBe(1);
    expect(n.confidences).toHaveLength(7);
    expect(normaliseText('ＡＢ１２')).toBe('AB12');
  });
});

describe('format rules', () => {
  it('expands regions, accepts patterns, reports unknown names', () => {
    expect(expandFormats(['gb', 'LLL9999', 'nope!'])).toEqual({
      patterns: ['LL99LLL', 'LLL9999'],
      unknown: ['nope!'],
    });
  });

  it('corrects look-alikes by position only where the pattern wants the other class', () => {
    expect(applyPattern('AB0I234', 'LLL9999')).toEqual({
      text: 'ABO1234',
      pattern: 'LLL9999',
      corrections: 2,
    });
    expect(applyPattern('A8C1Z3S', 'LLL9999')).toEqual({
      text: 'ABC1235',
      pattern: 'LLL9999',
      corrections: 3,
    });
    expect(applyPattern('ABC1X34', 'LLL9999')).toBeUndefined();
    expect(applyPattern('ABC123', 'LLL9999')).toBeUndefined();
    expect(matchFormats('ABC1D23', ['LLL9999', 'LLL9L99'])).toMatchObject({
      text: 'ABC1D23',
      pattern: 'LLL9L99',
      corrections: 0,
    });
  });
});

describe('choosing the plate', () => {
  const region = { rect: { cx: 100, cy: 100, w: 100, h: 25, angle: 0 }, score: 0.9, parts: 1 };
  const frame = { width: 640, height: 480 };
  const read = (text: string, confidence = 0.95): ReadResult => ({
    text,
    chars: chars(text, confidence),
    confidence,
  });
  const plateAt = (cx: number) => ({ cx, cy: 100, w: 110, h: 25, angle: 0 });

  it('prefers plate-like text over words and timestamps at equal confidence', () => {
    const a = scoreRead(read('KX58PLT'), region, plateAt(100), frame, [])!;
    const b = scoreRead(read('EXIT'), region, plateAt(300), frame, [])!;
    const c = scoreRead(read('20240117123015'), region, plateAt(500), frame, [])!;
    expect(a.score).toBeGreaterThan(b.score);
    expect(a.score).toBeGreaterThan(c.score);
  });

  it('reports overlapping reads once, distinct plates separately, best first', () => {
    const reads = [
      scoreRead(read('KX58PLT', 0.9), region, plateAt(100), frame, [])!,
      scoreRead(read('X58PLT', 0.85), region, plateAt(104), frame, [])!,
      scoreRead(read('AB123CD', 0.8), region, plateAt(400), frame, [])!,
    ];
    const out = choosePlates(reads, { patterns: [], minConfidence: 0.05, maxCandidates: 5 });
    expect(out.map((c) => c.text)).toEqual(['KX58PLT', 'AB123CD']);
    expect(out[0]!.box).toEqual({ x: 45, y: 88, w: 110, h: 25 });
  });

  it('format rules lift matching reads, correct them, and mark the format', () => {
    const s = scoreRead(read('AB0I234'), region, plateAt(100), frame, ['LLL9999'])!;
    expect(s.text).toBe('ABO1234');
    expect(s.format).toBe('LLL9999');
    const miss = scoreRead(read('AB12'), region, plateAt(100), frame, ['LLL9999'])!;
    expect(miss.format).toBeUndefined();
    expect(miss.score).toBeLessThan(s.score);
  });
});

describe('emblem characters', () => {
  const conf = (text: string, cs: number[]): ReadResult => ({
    text,
    chars: [...text].map((ch, i) => ({ ch, confidence: cs[i]! })),
    confidence: cs.reduce((a, b) => a + b, 0) / cs.length,
  });

  it('offers the read without one weak character among confident ones', () => {
    const r = withoutWeakest(conf('HRK605AB', [0.66, 0.99, 0.99, 0.99, 1, 1, 1, 0.98]))!;
    expect(r.text).toBe('RK605AB');
    expect(r.confidence).toBeGreaterThan(0.98);
  });

  it('leaves reads alone when no character, or several, are weak, or the plate would get too short', () => {
    expect(withoutWeakest(conf('RK605AB', [0.9, 0.99, 0.99, 0.99, 1, 1, 1]))).toBeUndefined();
    expect(withoutWeakest(conf('HRK605AB', [0.6, 0.5, 0.99, 0.99, 1, 1, 1, 0.98]))).toBeUndefined();
    expect(withoutWeakest(conf('H605A', [0.6, 0.99, 0.99, 0.99, 1]))).toBeUndefined();
  });

  it('the trimmed read wins when the extra character was doubtful, not when it was merely less sure', () => {
    const region = { rect: { cx: 100, cy: 100, w: 100, h: 25, angle: 0 }, score: 0.9, parts: 1 };
    const plate = { cx: 100, cy: 100, w: 110, h: 25, angle: 0 };
    const frame = { width: 640, height: 480 };
    const score = (r: ReadResult) => {
      const full = scoreRead(r, region, plate, frame, [])!;
      const t = withoutWeakest(r);
      const trimmed = t && scoreRead(t, region, plate, frame, [], WEAKEST_DROP_PENALTY);
      return trimmed && trimmed.score > full.score ? trimmed.text : full.text;
    };
    expect(score(conf('MBY649AG', [0.3, 0.94, 0.99, 0.99, 1, 1, 0.99, 0.99]))).toBe('BY649AG');
    expect(score(conf('SI819AK', [0.99, 0.8, 0.99, 0.99, 1, 1, 0.99]))).toBe('SI819AK');
  });
});
