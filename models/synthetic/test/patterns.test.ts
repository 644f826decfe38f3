import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LETTERS,
  displayForText,
  fillPattern,
  matchesPattern,
  normalisePlate,
  validatePattern,
} from '../patterns.ts';
import { DEFAULT_PATTERNS, PLATE_STYLES } from '../plate-styles.ts';
import { Rng } from '../prng.ts';

describe('plate text patterns', () => {
  it('fills every default pattern with text that matches it, without I, O or Q', () => {
    const rng = new Rng(11);
    for (const style of PLATE_STYLES) {
      for (const pattern of DEFAULT_PATTERNS[style]) {
        expect(validatePattern(pattern)).toBeUndefined();
        for (let i = 0; i < 30; i++) {
          const t = fillPattern(pattern, rng);
          expect(matchesPattern(t.text, pattern)).toBe(true);
          expect(t.text).toMatch(/^[A-Z0-9]+$/);
          expect(t.text).not.toMatch(/[IOQ]/);
          expect(normalisePlate(t.display)).toBe(t.text);
          // Separators are drawn where the pattern has them.
          expect(t.display.replace(/[A-Z]/g, 'L').replace(/[0-9]/g, '9')).toBe(pattern);
        }
      }
    }
  });

  it('uses the letters it is given', () => {
    const t = fillPattern('LLLLLLLL', new Rng(1), 'OQ');
    expect(t.text).toMatch(/^[OQ]{8}$/);
    expect(DEFAULT_LETTERS).toHaveLength(23);
  });

  it('rejects malformed patterns with a reason', () => {
    expect(validatePattern('LLX999')).toMatch(/may only hold/);
    expect(validatePattern('L')).toMatch(/2 to 10/);
    expect(validatePattern('-LL99')).toMatch(/separator/);
    expect(validatePattern('LL  99')).toMatch(/separator/);
  });

  it('checks text against patterns', () => {
    expect(matchesPattern('AB123CD', 'LL-999-LL')).toBe(true);
    expect(matchesPattern('AB123C4', 'LL-999-LL')).toBe(false);
    expect(matchesPattern('AB123', 'LL-999-LL')).toBe(false);
  });

  it('groups given text at letter/digit changes, or keeps the caller grouping', () => {
    expect(displayForText('AB123CD').display).toBe('AB 123 CD');
    expect(displayForText('M5XSX', '-').display).toBe('M-5-XSX');
    expect(displayForText('ABC1234').display).toBe('ABC 1234');
    expect(displayForText('M5 XSX')).toMatchObject({ text: 'M5XSX', display: 'M5 XSX' });
    expect(displayForText('A1B2C3D').display).toBe('A1B2C3D');
  });
});
