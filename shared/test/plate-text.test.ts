import { describe, expect, it } from 'vitest';
import { plateGlobToRegExp } from '../../results/filters.ts';
import { normalisePlate, plateProblem } from '../plate-text.ts';

describe('the one plate rule', () => {
  it('keeps A-Z0-9, folds full-width forms and OCR look-alikes, drops separators and anything else', () => {
    expect(normalisePlate(' ab-12.3 cd ')).toBe('AB123CD');
    expect(normalisePlate('ＡＢ１２')).toBe('AB12');
    expect(normalisePlate('ÖBB·1Ø')).toBe('OBB10');
    expect(normalisePlate('O\u0308BB1')).toBe('OBB1'); // decomposed Ö: NFC first, then folded
    expect(normalisePlate('AB京12')).toBe('AB12');
  });

  it('rejects watchlist text with characters no read can contain, instead of dropping them', () => {
    expect(plateProblem('ab-12 3cd')).toBeUndefined();
    expect(plateProblem('Öbb 1')).toBeUndefined(); // folds to OBB1, which a camera can report
    expect(plateProblem('B@D1')).toMatch(/"B@D1" may contain only letters and digits/);
    expect(plateProblem('АВ12')).toMatch(/may contain only letters and digits/); // Cyrillic look-alikes
    expect(plateProblem(' - ')).toBe('plate is empty');
    expect(plateProblem('A'.repeat(17))).toMatch(/longer than 16/);
  });

  it('result filters use the same rule around their wildcards', () => {
    const re = plateGlobToRegExp('ab-1*?d');
    expect(re.test('AB123CD')).toBe(true);
    expect(re.test('AB1D')).toBe(false);
  });
});
