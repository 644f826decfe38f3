/**
 * Plate format rules. A pattern is a string of position classes:
 *   L = letter A-Z, 9 = digit 0-9, A = letter or digit, any other A-Z/0-9 character = itself.
 * Region names expand to several patterns. Position-aware corrections turn look-alike characters into the
 * class the pattern wants (O↔0, I↔1, B↔8, S↔5, Z↔2, ...) when that makes the text fit.
 */

export const REGION_FORMATS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  // Great Britain (2001 format) and its older prefix/suffix forms.
  gb: ['LL99LLL'],
  // Brazil: old format and Mercosur.
  br: ['LLL9999', 'LLL9L99'],
  // Netherlands sidecodes 4-11.
  nl: ['99LLL9', '9LLL99', 'LL999L', 'L999LL', 'LLL99L', '9LL999', '999LL9'],
  // France SIV.
  fr: ['LL999LL'],
  // Italy.
  it: ['LL999LL'],
  // Spain (2000 onwards).
  es: ['9999LLL'],
  // California-style 7-character US plates.
  'us-ca': ['9LLL999'],
});

const TO_DIGIT: Readonly<Record<string, string>> = {
  O: '0',
  Q: '0',
  D: '0',
  I: '1',
  L: '1',
  B: '8',
  S: '5',
  Z: '2',
  G: '6',
  T: '7',
  A: '4',
};
const TO_LETTER: Readonly<Record<string, string>> = {
  '0': 'O',
  '1': 'I',
  '8': 'B',
  '5': 'S',
  '2': 'Z',
  '6': 'G',
  '4': 'A',
  '7': 'T',
};

export const PATTERN_RE = /^[A-Z0-9]{2,10}$/;

/** `text` with every letter that looks like a digit written as that digit (O→0, I→1, B→8, ...): for comparing readings. */
export function foldToDigits(text: string): string {
  let out = '';
  for (const ch of text) out += TO_DIGIT[ch] ?? ch;
  return out;
}

/** Expands region names and validates patterns; unknown tokens are reported by the caller. */
export function expandFormats(names: readonly string[]): { patterns: string[]; unknown: string[] } {
  const patterns: string[] = [];
  const unknown: string[] = [];
  for (const raw of names) {
    const n = raw.trim();
    if (!n) continue;
    const region = REGION_FORMATS[n.toLowerCase()];
    if (region) patterns.push(...region);
    else if (PATTERN_RE.test(n)) patterns.push(n);
    else unknown.push(n);
  }
  return { patterns: [...new Set(patterns)], unknown };
}

export interface FormatMatch {
  text: string;
  pattern: string;
  /** Positions changed by corrections. */
  corrections: number;
}

function fits(pattern: string, i: number, ch: string): boolean {
  const p = pattern[i]!;
  if (p === 'L') return ch >= 'A' && ch <= 'Z';
  if (p === '9') return ch >= '0' && ch <= '9';
  if (p === 'A') return true;
  return p === ch;
}

/** Tries to fit `text` to `pattern`, correcting look-alikes position by position. */
export function applyPattern(text: string, pattern: string): FormatMatch | undefined {
  if (text.length !== pattern.length) return undefined;
  let out = '';
  let corrections = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (fits(pattern, i, ch)) {
      out += ch;
      continue;
    }
    const p = pattern[i]!;
    const fixed = p === '9' ? TO_DIGIT[ch] : p === 'L' ? TO_LETTER[ch] : undefined;
    if (fixed === undefined || !fits(pattern, i, fixed)) return undefined;
    out += fixed;
    corrections++;
  }
  return { text: out, pattern, corrections };
}

/** Best fit among patterns: fewest corrections first. */
export function matchFormats(text: string, patterns: readonly string[]): FormatMatch | undefined {
  let best: FormatMatch | undefined;
  for (const p of patterns) {
    const m = applyPattern(text, p);
    if (m && (!best || m.corrections < best.corrections)) best = m;
  }
  return best;
}
