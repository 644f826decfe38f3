import { type RotatedRect, rectBounds } from '../geometry/quad.ts';
import type { PlateBox, PlateCandidate } from '../../shared/recognizer.ts';
import type { ReadResult } from '../read/reader.ts';
import { matchFormats } from './formats.ts';
import { type LineRegion, prior } from './lines.ts';
import { normaliseRead } from './normalise.ts';

/** One read of one region, scored. */
export interface ScoredRead {
  text: string;
  charConfidences: number[];
  /** Reader confidence of the kept characters, 0..1. */
  readConfidence: number;
  /** Overall plate-likeness x confidence, 0..1 (the candidate's confidence). */
  score: number;
  format?: string;
  plate: RotatedRect;
  box: PlateBox;
}

export interface ChooseOptions {
  /** Patterns (see formats.ts); empty = no format rules, generic plate scoring only. */
  patterns: readonly string[];
  /** Candidates scoring below this are not reported. */
  minConfidence: number;
  maxCandidates: number;
}

function lengthFit(n: number): number {
  if (n < 3) return 0.05;
  if (n === 3) return 0.35;
  if (n === 4) return 0.75;
  if (n <= 8) return 1;
  if (n === 9) return 0.6;
  return 0.2;
}

function mixFit(text: string): number {
  const digits = (text.match(/[0-9]/g) ?? []).length;
  const letters = text.length - digits;
  if (digits > 0 && letters > 0) return 1;
  return digits > 0 ? 0.8 : 0.7;
}

/** Scores one read: reader confidence x length x letter/digit mix x region prior x format rules. */
export function scoreRead(
  read: ReadResult,
  region: LineRegion,
  plate: RotatedRect,
  frame: { width: number; height: number },
  patterns: readonly string[],
  penalty = 1,
): ScoredRead | undefined {
  const n = normaliseRead(read.chars);
  if (n.text.length === 0) return undefined;
  let text = n.text;
  let format: string | undefined;
  let formatFit = 1;
  if (patterns.length > 0) {
    const m = matchFormats(text, patterns);
    if (m) {
      text = m.text;
      format = m.pattern;
      formatFit = 1.15 * 0.97 ** m.corrections;
    } else {
      formatFit = 0.5;
    }
  }
  const confs = n.confidences;
  const mean = confs.reduce((s, c) => s + c, 0) / confs.length;
  const min = Math.min(...confs);
  // The reader's own overall confidence includes evidence the normalised text lost (padding slots, blanks).
  const readConfidence = Math.min(mean, read.confidence) * Math.sqrt(min);
  const dropFit = 0.8 ** n.dropped;
  const priorFit = 0.6 + 0.4 * Math.min(1, prior(region) / 0.8);
  const score = Math.min(
    1,
    readConfidence * lengthFit(text.length) * mixFit(text) * dropFit * priorFit * formatFit * penalty,
  );
  return {
    text,
    charConfidences: confs,
    readConfidence,
    score,
    ...(format ? { format } : {}),
    plate,
    box: rectBounds(plate, frame.width, frame.height),
  };
}

/** Penalty for a read with one character removed by `withoutWeakest`. */
export const WEAKEST_DROP_PENALTY = 0.85;

/**
 * A general text reader turns emblems, coats of arms and country bands into one extra character, which it
 * reads with low confidence among confident neighbours. Returns the read without that character when exactly
 * that picture holds (one plate character below `weak`, every other at least `strong`, five or more left),
 * so it can compete with the read as it was.
 */
export function withoutWeakest(read: ReadResult, weak = 0.7, strong = 0.85): ReadResult | undefined {
  const idx = read.chars.map((c, i) => ({ c, i })).filter(({ c }) => /^[A-Za-z0-9]$/.test(c.ch));
  if (idx.length < 6) return undefined;
  const low = idx.filter(({ c }) => c.confidence < weak);
  if (low.length !== 1 || idx.some(({ c }) => c.confidence < strong && c !== low[0]!.c)) return undefined;
  const chars = read.chars.filter((_, i) => i !== low[0]!.i);
  const confidence = chars.reduce((s, c) => s + c.confidence, 0) / chars.length;
  return { text: chars.map((c) => c.ch).join(''), chars, confidence };
}

function overlap(a: PlateBox, b: PlateBox): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  return inter / Math.max(1, Math.min(a.w * a.h, b.w * b.h));
}

/**
 * Picks the plates: best score first; a read whose box mostly overlaps a better one is another reading of
 * the same plate (or a part of it) and is dropped; the same text twice is reported once.
 */
export function choosePlates(reads: readonly ScoredRead[], opts: ChooseOptions): PlateCandidate[] {
  const sorted = [...reads].sort((a, b) => b.score - a.score);
  const kept: ScoredRead[] = [];
  for (const r of sorted) {
    if (r.score < opts.minConfidence) break;
    if (kept.some((k) => k.text === r.text || overlap(k.box, r.box) > 0.5)) continue;
    kept.push(r);
    if (kept.length >= opts.maxCandidates) break;
  }
  return kept.map((r) => ({
    text: r.text,
    confidence: Math.round(r.score * 1000) / 1000,
    box: r.box,
    charConfidences: r.charConfidences.map((c) => Math.round(c * 1000) / 1000),
    ...(r.format ? { format: r.format } : {}),
  }));
}
