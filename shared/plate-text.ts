/**
 * The one plate-text rule, used by the recogniser (models/plate/normalise.ts), the watchlist (entries and
 * lookups), the per-plate index and `results plate`, result filters and the synthetic generator's truth.
 *
 * A plate is stored and compared as A-Z and 0-9 only: upper case; full-width forms ("ＡＢ１２") become
 * ASCII; the Latin look-alikes an OCR model emits are folded (Ø→0, Ö Ó→O, Ü→U, Ä→A, Í→I, É→E, |→I);
 * separators (space - · . • : _ ' ") are dropped. Why this rule: A-Z0-9 is all the recogniser reports,
 * so a watchlist entry written with any other character could never match a camera read. Entries are
 * therefore checked with `plateProblem` (which rejects other characters instead of dropping them), while
 * `normalisePlate` drops them (for reads and queries).
 *
 * API: `classifyPlateChar(ch)`, `normalisePlate(text)`, `plateProblem(text)`, `MAX_PLATE_LENGTH`.
 */

/** Latin look-alikes and symbols a general OCR model may emit for plate characters. */
const FOLD: Readonly<Record<string, string>> = {
  Ø: '0',
  Ö: 'O',
  Ü: 'U',
  Ä: 'A',
  Ó: 'O',
  Í: 'I',
  É: 'E',
  '|': 'I',
};

/** Separators that may sit between plate groups. */
const SEPARATORS = /^[\s\-·.•:_'"]$/;

/** Longest plate accepted on the watchlist. */
export const MAX_PLATE_LENGTH = 16;

export type PlateChar = { kind: 'char'; ch: string } | { kind: 'separator' } | { kind: 'other' };

/** One character under the rule: a plate character (A-Z0-9 after folding), a separator, or anything else. */
export function classifyPlateChar(raw: string): PlateChar {
  const code = raw.charCodeAt(0);
  // Full-width ASCII (U+FF01..U+FF5E) → ASCII.
  const ascii =
    raw.length === 1 && code >= 0xff01 && code <= 0xff5e ? String.fromCharCode(code - 0xfee0) : raw;
  const up = ascii.toUpperCase();
  const ch = FOLD[up] ?? up;
  if (/^[A-Z0-9]$/.test(ch)) return { kind: 'char', ch };
  if (SEPARATORS.test(ch)) return { kind: 'separator' };
  return { kind: 'other' };
}

/** The plate under the rule: A-Z0-9 only, everything else dropped ("ab-12 3·cd" → "AB123CD"). */
export function normalisePlate(text: string): string {
  let out = '';
  for (const raw of text.normalize('NFC')) {
    const c = classifyPlateChar(raw);
    if (c.kind === 'char') out += c.ch;
  }
  return out;
}

/** What is wrong with plate text given by a person (watchlist entry), or undefined when it is usable. */
export function plateProblem(text: string): string | undefined {
  const shown = text.trim();
  for (const raw of shown.normalize('NFC')) {
    if (classifyPlateChar(raw).kind === 'other')
      return `plate "${shown}" may contain only letters and digits (spaces and dashes are dropped)`;
  }
  const plate = normalisePlate(shown);
  if (plate === '') return 'plate is empty';
  if (plate.length > MAX_PLATE_LENGTH)
    return `plate "${plate}" is longer than ${MAX_PLATE_LENGTH} characters`;
  return undefined;
}
