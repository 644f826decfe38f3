import { classifyPlateChar, normalisePlate } from '../../shared/plate-text.ts';
import type { ReadChar } from '../read/reader.ts';

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

/**
 * Uppercases, folds look-alikes, keeps A-Z0-9 (the project's one plate rule, shared/plate-text.ts), and
 * counts separators and dropped characters.
 */
export function normaliseRead(chars: readonly ReadChar[]): NormalisedRead {
  let text = '';
  const confidences: number[] = [];
  let separators = 0;
  let dropped = 0;
  for (const c of chars) {
    for (const raw of c.ch) {
      const k = classifyPlateChar(raw);
      if (k.kind === 'char') {
        text += k.ch;
        confidences.push(c.confidence);
      } else if (k.kind === 'separator') {
        if (text.length > 0) separators++;
      } else {
        dropped++;
      }
    }
  }
  return { text, confidences, separators, dropped };
}

/** Normalises plain text (no confidences) the same way, e.g. ground truth and configured plates. */
export const normaliseText = normalisePlate;
