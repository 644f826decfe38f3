import type { ReadChar } from '../read/reader.ts';

/** Latin look-alikes and full-width forms a general OCR model may emit for plate characters. */
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

/** Separators that may sit between plate groups: kept out of the text, counted as evidence. */
const SEPARATORS = /[\s\-·.•:_'"]/;

export interface NormalisedRead {
  /** A-Z0-9 only. */
  text: string;
  /** Confidence of each kept character. */
  confidences: number[];
  /** Number of separators seen between kept characters. */
  separators: number;
  /** Characters dropped that were neither A-Z0-9 nor separators (non-Latin, symbols). */
  dropped: number;
}

/** Uppercases, folds look-alikes, keeps A-Z0-9, and counts separators and dropped characters. */
export function normaliseRead(chars: readonly ReadChar[]): NormalisedRead {
  let text = '';
  const confidences: number[] = [];
  let separators = 0;
  let dropped = 0;
  for (const c of chars) {
    for (const raw of c.ch) {
      const fw = raw.charCodeAt(0);
      // Full-width ASCII (U+FF01..U+FF5E) → ASCII.
      const ascii = fw >= 0xff01 && fw <= 0xff5e ? String.fromCharCode(fw - 0xfee0) : raw;
      const up = ascii.toUpperCase();
      const ch = FOLD[up] ?? up;
      if (/^[A-Z0-9]$/.test(ch)) {
        text += ch;
        confidences.push(c.confidence);
      } else if (SEPARATORS.test(ch)) {
        if (text.length > 0) separators++;
      } else {
        dropped++;
      }
    }
  }
  return { text, confidences, separators, dropped };
}

/** Normalises plain text (no confidences) the same way, e.g. ground truth and configured plates. */
export function normaliseText(text: string): string {
  return normaliseRead([...text].map((ch) => ({ ch, confidence: 1 }))).text;
}
