import { applyPattern } from '../models/plate/formats.ts';

/**
 * Voting across the reads of one vehicle pass: which plate the whole sequence supports.
 *
 * Every vote is scaled by the read's `weight` (default 1; the events stage gives nearer, larger reads more).
 *
 * 1. Length first: each read votes for its length with its confidence; the heaviest length wins.
 * 2. Position by position, among the reads of that length: each read votes for its character with that
 *    character's confidence (the read's confidence when the reader gave none); the heaviest wins.
 * 3. Format rules (region/camera patterns, see models/plate/formats.ts): when the voted text fits no
 *    pattern, each pattern of that length is filled with the heaviest character its position class allows
 *    (then look-alike corrections such as O→0); the pattern keeping the most vote weight wins.
 *
 * API: `votePlate(reads, { patterns })` → { plate, confidence, alternatives }.
 */

export interface VoteRead {
  plate: string;
  /** 0..1. */
  confidence: number;
  /** Per-character confidences, when the reader gave them (same length as plate). */
  chars?: readonly number[];
  /** How much this read counts relative to the pass's others (0..1, default 1): see passToEvent. */
  weight?: number;
}

export interface VoteOptions {
  /** Plate patterns (expanded, e.g. "LL99LLL"); empty = no format rules. */
  patterns: readonly string[];
  /** Alternatives reported (default 3). */
  maxAlternatives?: number;
}

export interface VoteResult {
  /** '' when there was nothing to vote on. */
  plate: string;
  /** 0..1: per-position agreement x the mean confidence of the reads of the winning length. */
  confidence: number;
  /** Other whole readings with their summed confidence, best first. */
  alternatives: { plate: string; votes: number }[];
}

export function votePlate(reads: readonly VoteRead[], opts: VoteOptions): VoteResult {
  const usable = reads.filter((r) => r.plate.length > 0);
  if (usable.length === 0) return { plate: '', confidence: 0, alternatives: [] };

  const byLength = new Map<number, number>();
  for (const r of usable) byLength.set(r.plate.length, (byLength.get(r.plate.length) ?? 0) + weight(r));
  const length = [...byLength].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0];
  const sameLength = usable.filter((r) => r.plate.length === length);

  // columns[i]: character → summed weight at position i
  const columns: Map<string, number>[] = Array.from({ length }, () => new Map());
  for (const r of sameLength) {
    for (let i = 0; i < length; i++) {
      const ch = r.plate[i]!;
      const w = charWeight(r, i);
      columns[i]!.set(ch, (columns[i]!.get(ch) ?? 0) + w);
    }
  }
  let chosen = columns.map((col) => heaviest(col, () => true));
  const patterns = opts.patterns.filter((p) => p.length === length);
  if (patterns.length > 0 && !patterns.some((p) => fitsPattern(chosen.map((c) => c.ch).join(''), p))) {
    chosen = bestPatternFill(columns, chosen, patterns);
  }
  const plate = chosen.map((c) => c.ch).join('');
  let agreement = 0;
  for (let i = 0; i < length; i++) {
    const total = [...columns[i]!.values()].reduce((a, b) => a + b, 0);
    agreement += total > 0 ? chosen[i]!.w / total : 0;
  }
  agreement /= Math.max(1, length);
  const meanConf = sameLength.reduce((a, r) => a + r.confidence, 0) / sameLength.length;

  const texts = new Map<string, number>();
  for (const r of usable) texts.set(r.plate, (texts.get(r.plate) ?? 0) + Math.max(0.01, r.confidence));
  const alternatives = [...texts]
    .filter(([t]) => t !== plate)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, opts.maxAlternatives ?? 3)
    .map(([t, v]) => ({ plate: t, votes: round4(v) }));
  return { plate, confidence: round4(agreement * meanConf), alternatives };
}

/** A read's weight: its confidence, never 0 (a read with confidence 0 still counts a little). */
function weight(r: VoteRead): number {
  return Math.max(0.01, r.confidence) * (r.weight ?? 1);
}

function charWeight(r: VoteRead, i: number): number {
  const c = r.chars && r.chars.length === r.plate.length ? r.chars[i] : undefined;
  return Math.max(0.01, typeof c === 'number' && Number.isFinite(c) ? c : r.confidence) * (r.weight ?? 1);
}

interface Pick {
  ch: string;
  w: number;
}

function heaviest(col: Map<string, number>, allowed: (ch: string) => boolean): Pick {
  let best: Pick = { ch: '', w: -1 };
  for (const [ch, w] of col) {
    if (!allowed(ch)) continue;
    if (w > best.w || (w === best.w && ch < best.ch)) best = { ch, w };
  }
  return best;
}

function fitsClass(p: string, ch: string): boolean {
  if (p === 'L') return ch >= 'A' && ch <= 'Z';
  if (p === '9') return ch >= '0' && ch <= '9';
  if (p === 'A') return true;
  return p === ch;
}

function fitsPattern(text: string, pattern: string): boolean {
  if (text.length !== pattern.length) return false;
  for (let i = 0; i < text.length; i++) if (!fitsClass(pattern[i]!, text[i]!)) return false;
  return true;
}

/**
 * For each pattern: per position the heaviest character of the allowed class; a position where no read
 * gave such a character takes the unconstrained winner corrected by the pattern (O→0, ...). The pattern
 * keeping the most weight wins; when none can be filled, the unconstrained choice stays.
 */
function bestPatternFill(columns: Map<string, number>[], free: Pick[], patterns: readonly string[]): Pick[] {
  let best: { picks: Pick[]; total: number } | undefined;
  for (const pattern of patterns) {
    const picks: Pick[] = [];
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      const p = pattern[i]!;
      const pick = heaviest(columns[i]!, (ch) => fitsClass(p, ch));
      if (pick.w >= 0) {
        picks.push(pick);
        continue;
      }
      // 'L' / '9': a look-alike correction of the free winner (O→0, 8→B, ...); a literal: the literal.
      const fixed = p === 'L' || p === '9' ? applyPattern(free[i]!.ch, p)?.text : p;
      if (!fixed) {
        ok = false;
        break;
      }
      picks.push({ ch: fixed, w: 0 });
    }
    if (!ok) continue;
    const total = picks.reduce((a, k) => a + k.w, 0);
    if (!best || total > best.total) best = { picks, total };
  }
  return best?.picks ?? free;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
