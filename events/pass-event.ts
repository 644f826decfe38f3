import type { Direction, EventRecord } from '../shared/codec/event-codec.ts';
import type { OpenPass, PassRead } from './pass-builder.ts';
import { type VoteOptions, votePlate } from './voting.ts';

/**
 * A closed pass → its event: the voted plate (each read weighted by its plate's size, see below) and confidence, first/last capture time, the best read of
 * the voted plate (its frame and box), the alternatives, the direction of travel and the reads.
 * `watchlist` is filled in by the stage after the lookup.
 */
export function passToEvent(camera: string, pass: OpenPass, opts: VoteOptions): EventRecord {
  const reads = [...pass.reads].sort((a, b) => a.ts - b.ts);
  // Nearer reads count more: a plate twice as tall has twice the pixels per character, and the reader's
  // confidence does not fall as fast as its accuracy on small, far plates (weight sqrt(height / tallest)).
  const heights = reads.filter((r) => r.box && r.box.h > 0).map((r) => r.box!.h);
  const tallest = heights.length > 0 ? Math.max(...heights) : 0;
  const vote = votePlate(
    reads.map((r) => ({
      plate: r.plate,
      confidence: r.conf,
      chars: r.chars,
      ...(tallest > 0 && r.box && r.box.h > 0 && { weight: Math.sqrt(r.box.h / tallest) }),
    })),
    opts,
  );
  const best = bestRead(reads, vote.plate);
  return {
    event: pass.id,
    camera,
    plate: vote.plate,
    confidence: vote.confidence,
    frames: new Set(reads.map((r) => r.frame)).size,
    firstTs: reads[0]!.ts,
    lastTs: reads[reads.length - 1]!.ts,
    bestFrame: best.frame,
    bestBox: best.box,
    alternatives: vote.alternatives,
    direction: direction(reads),
    watchlist: '',
    results: reads.map((r) => ({
      id: r.result,
      frame: r.frame,
      ts: r.ts,
      plate: r.plate,
      confidence: r.conf,
    })),
  };
}

/** The most confident read of the voted plate; when no read has it exactly, the most confident read. */
function bestRead(reads: readonly PassRead[], plate: string): PassRead {
  const exact = reads.filter((r) => r.plate === plate);
  const pool = exact.length > 0 ? exact : reads;
  return pool.reduce((a, b) => (b.conf > a.conf ? b : a));
}

/**
 * Approaching when the plate grows in the picture (the vehicle comes closer), leaving when it shrinks:
 * the mean box width of the last third of the reads against the first third, beyond ±15 %. Unknown ('')
 * with fewer than three boxed reads or a smaller change.
 */
export function direction(reads: readonly PassRead[]): Direction {
  const widths = reads.filter((r) => r.box && r.box.w > 0).map((r) => r.box!.w);
  if (widths.length < 3) return '';
  const third = Math.max(1, Math.floor(widths.length / 3));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = mean(widths.slice(-third)) / mean(widths.slice(0, third));
  if (ratio > 1.15) return 'approaching';
  if (ratio < 1 / 1.15) return 'leaving';
  return '';
}
