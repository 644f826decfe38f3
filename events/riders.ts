import { median } from '../shared/util/percentile.ts';
import { type OpenPass, type PassSummary, summarise, type TrackPoint } from './pass-builder.ts';

/**
 * Text riding on a vehicle — a badge, the dealer's name under the plate, the state name on a US plate — is
 * read in the same frames as the vehicle's plate and would otherwise become an event of its own. Pure: judged
 * on a closed pass against the camera's other passes' summaries (events/pass-filter.ts).
 */

/**
 * True when this pass is text riding along with a vehicle rather than a vehicle of its own, judged against
 * the camera's other passes (open, and closed lately):
 *
 * - **far less confident in the same frames**: another pass that moved like a vehicle shares at least half
 *   of the shorter pass's frames and was read with mean confidence higher by `margin` (a second vehicle's
 *   plate would read about as well);
 * - **riding on it**: in the frames they share, this pass's box keeps the same place relative to another
 *   pass's box (moves with it: a badge, a sticker, the dealer's name under the plate, the state name on a
 *   US plate), was read less confidently there, and is either clearly smaller (most text on a car body is
 *   lower than the plate's) or less confident by at least `margin` / 2. Two vehicles in view seldom hold one
 *   offset while they move, and when they do (parallel lanes) their plates are of one size and read about
 *   equally well. The same badge text on the next car can join this pass: the frames riding on any vehicle are
 *   added up, and at least half of this pass's frames must be riding ones.
 *
 * `margin` 0 turns both rules off.
 */
export function dominated(
  pass: OpenPass,
  others: readonly PassSummary[],
  margin: number,
  minTravel: number,
): boolean {
  if (margin <= 0) return false;
  const mine = summarise(pass);
  const riding = new Set<string>();
  for (const o of others) {
    if (o.id === mine.id) continue;
    if (o.travel !== undefined && o.travel < minTravel) continue;
    const theirs = new Set(o.frames);
    const shared = mine.frames.filter((f) => theirs.has(f)).length;
    if (shared * 2 >= Math.min(mine.frames.length, o.frames.length) && o.conf >= mine.conf + margin)
      return true;
    for (const f of ridingFrames(mine.track ?? [], o.track ?? [], margin / 2)) riding.add(f);
  }
  return riding.size * 2 >= mine.frames.length && riding.size >= 2;
}

/** Largest spread (plate widths) of a rider's offset from its vehicle's plate over their shared frames. */
const RIDER_MAX_SPREAD = 0.35;
/** Longest gap (capture ms) between two reads of a vehicle across which its plate's place is interpolated. */
const RIDER_MAX_INTERPOLATE = 1000;
/** A rider's text line is at most this high relative to the vehicle's plate box. */
const RIDER_MAX_HEIGHT = 0.8;

/**
 * The frames in which `mine` rides on `theirs`: they share one boxed frame where `mine` sits near the plate
 * (see nearOnce), or at least two of the frames they share (one read in both, others interpolated) keep
 * one offset of `mine`'s centre from `theirs` (in `theirs`'s box widths, within RIDER_MAX_SPREAD of the
 * median offset; only those frames ride), its box is at
 * at most RIDER_MAX_HEIGHT of `theirs`'s height or its confidence lower by `confGap`, and it was read less
 * confidently there in any case. Else none.
 */
function ridingFrames(mine: readonly TrackPoint[], theirs: readonly TrackPoint[], confGap: number): string[] {
  const byFrame = new Map(theirs.map((t) => [t[0], t]));
  const pairs = mine.flatMap((m) => {
    const t = byFrame.get(m[0]) ?? between(theirs, m[6]);
    return t ? [{ m, t }] : [];
  });
  // At least one frame read in both: interpolated positions alone never make a rider.
  if (!pairs.some(({ m }) => byFrame.has(m[0]))) return [];
  if (pairs.length === 1) return nearOnce(pairs[0]!.m, pairs[0]!.t) ? [pairs[0]!.m[0]] : [];
  // The frames that keep the pass's usual offset (the median; a box cut by the frame's edge or a partial
  // read shifts one or two): those ride, the others do not count.
  const offsets = pairs.map(({ m, t }) => ({ x: (m[1] - t[1]) / t[3], y: (m[2] - t[2]) / t[3] }));
  const mx = median(offsets.map((o) => o.x));
  const my = median(offsets.map((o) => o.y));
  const kept = pairs.filter((_, i) => Math.hypot(offsets[i]!.x - mx, offsets[i]!.y - my) <= RIDER_MAX_SPREAD);
  if (kept.length < 2 || !kept.some(({ m }) => byFrame.has(m[0]))) return [];
  return steadyRider(kept, confGap);
}

/** The frames of `pairs` (one offset from the vehicle's plate) when the text is smaller or less confident. */
function steadyRider(pairs: readonly { m: TrackPoint; t: TrackPoint }[], confGap: number): string[] {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const gap = mean(pairs.map(({ t }) => t[5])) - mean(pairs.map(({ m }) => m[5]));
  if (gap <= 0) return [];
  if (mean(pairs.map(({ m, t }) => m[4] / t[4])) > RIDER_MAX_HEIGHT && gap < confGap) return [];
  return pairs.map(({ m }) => m[0]);
}

/**
 * One frame alone shows no common motion, so a single shared frame counts as riding only when the text sits
 * where a vehicle's own lettering would (on its rear or front, within RIDER_NEAR_X plate widths either side
 * of the plate, RIDER_NEAR_UP above to RIDER_NEAR_DOWN below) and is both smaller than the plate and read
 * less confidently: a badge seen on several cars, one frame each (the pass must still have at least two
 * riding frames, half of its frames, to be dropped).
 */
function nearOnce(m: TrackPoint, t: TrackPoint): boolean {
  const dx = (m[1] - t[1]) / t[3];
  const dy = (m[2] - t[2]) / t[3];
  return (
    Math.abs(dx) <= RIDER_NEAR_X &&
    dy >= -RIDER_NEAR_UP &&
    dy <= RIDER_NEAR_DOWN &&
    m[4] <= RIDER_MAX_HEIGHT * t[4] &&
    m[5] < t[5]
  );
}

/** A rider seen in one frame of a vehicle: how far from the plate's centre, in plate widths (see nearOnce). */
const RIDER_NEAR_X = 1.75;
const RIDER_NEAR_UP = 1.5;
const RIDER_NEAR_DOWN = 0.75;

/**
 * Where the vehicle's plate was at capture time `ts` in a frame it was not read in (hidden by a post, a
 * misdetection): linear between the two reads around `ts` when they are at most RIDER_MAX_INTERPOLATE
 * apart; undefined outside the track or across a longer gap.
 */
function between(track: readonly TrackPoint[], ts: number | undefined): TrackPoint | undefined {
  if (ts === undefined) return undefined;
  for (let i = 1; i < track.length; i++) {
    const a = track[i - 1]!;
    const b = track[i]!;
    const ta = a[6];
    const tb = b[6];
    if (ta === undefined || tb === undefined || !(ta < ts && ts < tb)) continue;
    if (tb - ta > RIDER_MAX_INTERPOLATE) return undefined;
    const k = (ts - ta) / (tb - ta);
    const at = (j: 1 | 2 | 3 | 4 | 5) => a[j] + (b[j] - a[j]) * k;
    return ['', at(1), at(2), at(3), at(4), at(5), ts];
  }
  return undefined;
}
