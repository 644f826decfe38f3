import { normalisePlate as normalisePlateText } from '../../shared/plate-text.ts';
import type { Rng } from './prng.ts';

/**
 * Plate text patterns. `L` = a letter, `9` = a digit, `A`-`Z`/`0`-`9` are not allowed literally (they would
 * be ambiguous with the placeholders); a space is a gap and `-` a dash, both drawn on the plate but never
 * part of the plate text (the truth, like OpenALPR's benchmark, is A-Z0-9 only).
 */
export type PlatePattern = string;

/**
 * Letters used for `L`. I, O and Q are left out by default, as most registration schemes do (they read
 * as 1, 0 and O); pass your own alphabet to include them.
 */
export const DEFAULT_LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';
export const DIGITS = '0123456789';

const PATTERN_RE = /^[L9 -]+$/;

export function validatePattern(pattern: string): string | undefined {
  if (!PATTERN_RE.test(pattern)) {
    return `plate pattern "${pattern}" may only hold L (letter), 9 (digit), space and "-"`;
  }
  const chars = pattern.replace(/[ -]/g, '').length;
  if (chars < 2 || chars > 10) return `plate pattern "${pattern}" must have 2 to 10 characters, has ${chars}`;
  if (/^[ -]|[ -]$|[ -]{2}/.test(pattern)) {
    return `plate pattern "${pattern}" must not start or end with a separator or hold two in a row`;
  }
  return undefined;
}

export interface PlateText {
  /** Normalised plate text (A-Z0-9), the ground truth. */
  text: string;
  /** The text as drawn, with the pattern's gaps and dashes. */
  display: string;
  pattern: PlatePattern;
}

/** Fills a pattern with random characters. */
export function fillPattern(pattern: PlatePattern, rng: Rng, letters: string = DEFAULT_LETTERS): PlateText {
  let display = '';
  for (const ch of pattern) {
    if (ch === 'L') display += letters[rng.int(0, letters.length - 1)]!;
    else if (ch === '9') display += DIGITS[rng.int(0, 9)]!;
    else display += ch;
  }
  return { text: normalisePlate(display), display, pattern };
}

/** A-Z0-9 only, upper case. */
export function normalisePlate(s: string): string {
  return normalisePlateText(s);
}

/** Whether a normalised text fits a pattern (separators in the pattern are ignored). */
export function matchesPattern(text: string, pattern: PlatePattern): boolean {
  const core = pattern.replace(/[ -]/g, '');
  if (text.length !== core.length) return false;
  for (let i = 0; i < core.length; i++) {
    const c = text[i]!;
    if (core[i] === 'L' ? !/[A-Z]/.test(c) : !/[0-9]/.test(c)) return false;
  }
  return true;
}

/**
 * Splits given text into display groups the way a plate would show it: at letter/digit changes, with at
 * most three groups. Used when the caller supplies the text instead of a pattern.
 */
export function displayForText(text: string, separator: ' ' | '-' = ' '): PlateText {
  const clean = normalisePlate(text);
  if (/[ -]/.test(text.trim())) {
    // The caller's own grouping wins.
    const display = text.trim().toUpperCase();
    return { text: clean, display, pattern: display.replace(/[A-Z]/g, 'L').replace(/[0-9]/g, '9') };
  }
  const groups = clean.match(/[A-Z]+|[0-9]+/g) ?? [];
  let display: string;
  if (groups.length >= 2 && groups.length <= 3) display = groups.join(separator);
  else display = clean;
  const pattern = display.replace(/[A-Z]/g, 'L').replace(/[0-9]/g, '9');
  return { text: clean, display, pattern };
}
