import type { ReadChar, ReadResult } from './reader.ts';

/** Index and value of the largest of `count` probabilities starting at `base`. */
function argmax(probs: Float32Array, base: number, count: number): [number, number] {
  let best = 0;
  let bestP = probs[base]!;
  for (let c = 1; c < count; c++) {
    const p = probs[base + c]!;
    if (p > bestP) {
      bestP = p;
      best = c;
    }
  }
  return [best, bestP];
}

/**
 * Greedy CTC decoding of one sequence: argmax per time step, repeats collapsed, blanks dropped.
 * `probs` holds `steps` x `classes` softmax outputs starting at `offset`. A character's confidence is the
 * highest probability over the steps it spans; the read's confidence is the mean over characters.
 */
export function ctcDecode(
  probs: Float32Array,
  offset: number,
  steps: number,
  classes: number,
  charOf: (index: number) => string,
  blank = 0,
): ReadResult {
  const chars: ReadChar[] = [];
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const [best, bestP] = argmax(probs, offset + t * classes, classes);
    if (best !== blank) {
      if (best === prev) {
        const last = chars[chars.length - 1]!;
        if (bestP > last.confidence) last.confidence = bestP;
      } else {
        chars.push({ ch: charOf(best), confidence: bestP });
      }
    }
    prev = best;
  }
  const confidence = chars.length ? chars.reduce((s, c) => s + c.confidence, 0) / chars.length : 0;
  return { text: chars.map((c) => c.ch).join(''), chars, confidence };
}

/**
 * Fixed-slot decoding (plate readers with one softmax per character slot and a padding class):
 * argmax per slot, padding dropped. Confidence is the mean over all slots, padding included, so an
 * unsure "is there one more character" lowers it.
 */
export function slotDecode(
  probs: Float32Array,
  offset: number,
  slots: number,
  alphabet: string,
  pad: string,
): ReadResult {
  const classes = alphabet.length;
  const chars: ReadChar[] = [];
  let sum = 0;
  for (let s = 0; s < slots; s++) {
    const [best, bestP] = argmax(probs, offset + s * classes, classes);
    sum += bestP;
    const ch = alphabet[best]!;
    if (ch !== pad) chars.push({ ch, confidence: bestP });
  }
  return { text: chars.map((c) => c.ch).join(''), chars, confidence: slots ? sum / slots : 0 };
}
