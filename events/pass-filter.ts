import { type OpenPass, type PassSummary, travel } from './pass-builder.ts';
import { dominated } from './riders.ts';

/** The settings that decide whether a closed pass becomes an event (a subset of EventsOptions). */
export interface PassFilterOptions {
  /** Passes with fewer distinct frames are dropped. */
  minReads: number;
  /** Passes whose plate moved less (plate widths) are dropped: fixed text; 0 = off. */
  minTravel: number;
  /** Passes dominated by a pass read in the same frames this much more confidently are dropped; 0 = off. */
  secondaryMargin: number;
}

/**
 * A closed pass becomes an event when it has enough frames, its plate moved (vehicles pass; signs stay),
 * and no far more confident vehicle pass was read in the same frames (text riding on that vehicle).
 * `others`: the camera's open passes and the summaries of passes closed lately. Pure.
 */
export function keepPass(pass: OpenPass, others: readonly PassSummary[], o: PassFilterOptions): boolean {
  if (new Set(pass.reads.map((r) => r.frame)).size < o.minReads) return false;
  const moved = travel(pass.reads);
  if (moved !== undefined && o.minTravel > 0 && moved < o.minTravel) return false;
  return !dominated(pass, others, o.secondaryMargin, o.minTravel);
}
