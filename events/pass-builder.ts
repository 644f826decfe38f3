import type { PlateBox } from '../shared/recognizer.ts';
import { compareIds } from '../shared/redis/stream/index.ts';
import { foldToDigits } from '../models/plate/formats.ts';
import { levenshtein } from '../watchlist/fuzzy-index.ts';

/**
 * Groups one camera's reads into vehicle passes, in capture-time order, under a watermark. Pure: the
 * caller loads a `CameraState`, calls `stepCamera`, and stores the returned state in the same atomic
 * write that acknowledges the results (events/stage.ts), so a restarted stage resumes exactly here.
 *
 * - Reads arrive out of order (several workers). They wait in `buffer` until the camera's watermark
 *   (highest capture ts seen minus `latenessMs`) has passed them, then are assigned in (ts, result id)
 *   order: the same input gives the same passes whatever order it arrived in, as long as no result is
 *   later than the allowed lateness. A result older than the watermark already processed is a *late*
 *   read: it is still assigned at once (counted), so nothing is thrown away.
 * - A read joins the open pass it fits best: capture gap ≤ `maxGapMs`, plate text within
 *   `maxEditDistance` of the pass's texts (or, when the boxes overlap, within half the plate length, so a
 *   badly misread frame joins its vehicle and is outvoted), and a plausible box movement. Reads of one
 *   frame never join the same pass, so two vehicles in view are two passes. Frames without a plate only
 *   move the watermark; they never end a pass.
 * - A pass closes once the watermark is more than `maxGapMs` past its last read (or on `flush`: the
 *   camera went quiet for EVENTS_IDLE_FLUSH_MS), or once it holds `maxPassReads` reads.
 */

/** One plate read (a candidate of a result) as kept in the open state. */
export interface PassRead {
  /** Results stream entry id. */
  result: string;
  /** Frames stream entry id. */
  frame: string;
  ts: number;
  plate: string;
  conf: number;
  /** Per-character confidences. */
  chars?: number[];
  box?: PlateBox;
}

export interface OpenPass {
  /** `<camera>:<first ts>:<n>`; becomes the event's `event` field. */
  id: string;
  /** In assignment order (capture-time order, late reads appended). */
  reads: PassRead[];
}

/** Everything the stage keeps for one camera between two results (stored as JSON, one hash field). */
export interface CameraState {
  v: 1;
  camera: string;
  /** Highest capture ts seen (frames with and without plates). */
  maxTs: number;
  /** Watermark up to which buffered reads have been assigned (-1 = none yet). */
  done: number;
  /** Wall-clock ms when the last result of this camera was consumed (drives the idle flush). */
  seenAt: number;
  /** Counter of passes opened (the `<n>` of pass ids). */
  next: number;
  /** Reads newer than `done`, waiting for the watermark. */
  buffer: PassRead[];
  passes: OpenPass[];
  /** Summaries of passes closed lately (absent in state written before it existed). */
  recent?: PassSummary[];
}

/** What a closed pass leaves behind for judging passes it overlapped (see `dominated`). */
export interface PassSummary {
  id: string;
  /** Frames stream ids of its reads. */
  frames: string[];
  /** Mean read confidence. */
  conf: number;
  /** Plate widths travelled (undefined: fewer than two boxes). */
  travel?: number;
  last: number;
  /**
   * Per frame with a box: [frame, centre x, centre y, width, height, confidence] (pixels rounded to 0.1),
   * for telling text that rides on this vehicle (see `riderOf`). Absent in state written before it existed.
   */
  track?: TrackPoint[];
}

/**
 * One boxed read of a pass: [frame, centre x, centre y, width, height, confidence, capture ts] (ts absent in
 * state written before it existed).
 */
export type TrackPoint = [string, number, number, number, number, number, number?];

export interface PassOptions {
  /** How far behind the newest capture ts a result may arrive and still be ordered correctly. */
  latenessMs: number;
  /** A pass closes when no read joined it for this long (capture time). */
  maxGapMs: number;
  /** Plate texts within this edit distance belong to one vehicle. */
  maxEditDistance: number;
  /** Allowed box centre movement per second, in box widths (plus one width of slack). */
  maxSpeed: number;
  /**
   * A pass with this many reads is closed at once, so state stays bounded when text stays in view for
   * long (a sign, a parked car): the stage then drops or writes it like any closed pass.
   */
  maxPassReads: number;
}

/** Track points a closed pass's summary keeps (see stepCamera). */
const RECENT_TRACK = 40;

export const PASS_DEFAULTS: Readonly<PassOptions> = Object.freeze({
  latenessMs: 2000,
  maxGapMs: 3000,
  maxEditDistance: 2,
  maxSpeed: 12,
  maxPassReads: 300,
});

export interface StepInput {
  /** Capture ts of every consumed frame of this camera (with or without a plate). */
  frameTimes: readonly number[];
  reads: readonly PassRead[];
  /** Close every pass and assign the whole buffer (the camera went quiet). */
  flush?: boolean;
  /** Wall clock, for seenAt. */
  now: number;
}

export interface StepOutput {
  state: CameraState;
  /** Passes closed by this step, oldest first. */
  closed: OpenPass[];
  /** Reads that arrived after their camera's watermark had passed them. */
  late: number;
  /** Closing passes joined to another as fragments of one vehicle (see sameVehicle). */
  merged: number;
}

export function emptyCameraState(camera: string): CameraState {
  return { v: 1, camera, maxTs: -1, done: -1, seenAt: 0, next: 0, buffer: [], passes: [] };
}

/** True when the state holds nothing worth storing (the hash field can be deleted). */
export function isIdle(s: CameraState): boolean {
  return s.buffer.length === 0 && s.passes.length === 0;
}

/** Applies one batch of a camera's results (or a flush) to its state; the input state is not changed. */
export function stepCamera(prev: CameraState, input: StepInput, opts: PassOptions): StepOutput {
  const state: CameraState = {
    ...prev,
    buffer: [...prev.buffer],
    passes: prev.passes.map((p) => ({ id: p.id, reads: [...p.reads] })),
  };
  if (input.frameTimes.length > 0 || input.reads.length > 0) state.seenAt = input.now;
  for (const t of input.frameTimes) if (t > state.maxTs) state.maxTs = t;
  let late = 0;
  const lateReads: PassRead[] = [];
  for (const r of input.reads) {
    if (r.ts > state.maxTs) state.maxTs = r.ts;
    if (state.done >= 0 && r.ts <= state.done) {
      lateReads.push(r);
      late++;
    } else if (!state.buffer.some((b) => b.result === r.result && b.plate === r.plate)) {
      state.buffer.push(r);
    }
  }
  if (lateReads.length > 0) assignInOrder(state, lateReads, opts);

  const watermark = input.flush ? Number.POSITIVE_INFINITY : state.maxTs - opts.latenessMs;
  if (watermark > state.done) {
    const ready = state.buffer.filter((r) => r.ts <= watermark);
    state.buffer = state.buffer.filter((r) => r.ts > watermark);
    assignInOrder(state, ready, opts);
    state.done = Number.isFinite(watermark) ? watermark : Math.max(state.done, state.maxTs);
  }
  const closed: OpenPass[] = [];
  const open: OpenPass[] = [];
  for (const p of state.passes) {
    if (input.flush || lastTs(p) < watermark - opts.maxGapMs || p.reads.length >= opts.maxPassReads)
      closed.push(p);
    else open.push(p);
  }
  let merged = 0;
  // A closing pass that is a fragment of another (same vehicle, reads interleaved in time) joins it.
  for (let i = 0; i < closed.length; ) {
    const p = closed[i]!;
    const into =
      open.find((q) => sameVehicle(p, q, opts)) ?? closed.find((q, k) => k > i && sameVehicle(p, q, opts));
    if (!into) {
      i++;
      continue;
    }
    mergeInto(into, p);
    closed.splice(i, 1);
    merged++;
  }
  state.passes = open;
  closed.sort((a, b) => firstTs(a) - firstTs(b) || (a.id < b.id ? -1 : 1));
  // Kept while a pass that overlapped them may still be open (text riding on a car can stay in view, on the
  // next car, long after its plate): the last 12, none older than 30 s or two gaps of capture time.
  const horizon = Math.max(2 * opts.maxGapMs, 30_000);
  const keepAfter = (Number.isFinite(watermark) ? watermark : state.maxTs) - horizon;
  // A closed pass can share frames with a pass still open only near its end: its track keeps the last
  // RECENT_TRACK points (the stored state stays small however long the pass was).
  state.recent = [
    ...(prev.recent ?? []),
    ...closed.map(summarise).map((r) => ({ ...r, track: r.track?.slice(-RECENT_TRACK) })),
  ]
    .filter((r) => r.last >= keepAfter)
    .slice(-12);
  if (state.recent.length === 0) delete state.recent;
  return { state, closed, late, merged };
}

export function summarise(pass: OpenPass): PassSummary {
  const t = travel(pass.reads);
  return {
    id: pass.id,
    frames: [...new Set(pass.reads.map((r) => r.frame))],
    conf: pass.reads.reduce((a, r) => a + r.conf, 0) / Math.max(1, pass.reads.length),
    ...(t !== undefined && { travel: t }),
    last: lastTs(pass),
    track: pass.reads
      .filter((r) => r.box && r.box.w > 0)
      .map((r): TrackPoint => {
        const b = r.box!;
        return [
          r.frame,
          r1(b.x + b.w / 2),
          r1(b.y + b.h / 2),
          r1(b.w),
          r1(b.h),
          Math.round(r.conf * 1e4) / 1e4,
          r.ts,
        ];
      })
      .sort((a, b) => (a[6] ?? 0) - (b[6] ?? 0)),
  };
}

function r1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * How far the plate moved over the pass, in plate widths: for each of three anchors of the box (its centre,
 * the middle of its left edge, the middle of its right edge), the largest distance of a read's anchor from
 * the first boxed read's; the smallest of the three, over the median box width. Vehicles pass through the
 * view; text fixed in the picture (a sign, a sticker on the wall, a burnt-in time stamp) does not — and when
 * a passing vehicle hides part of a sign, its reads cover less or more of the text and their centres shift,
 * but one end of the box stays put. Undefined with fewer than two boxes.
 */
export function travel(reads: readonly PassRead[]): number | undefined {
  const boxes = reads.filter((r) => r.box && r.box.w > 0).map((r) => r.box!);
  if (boxes.length < 2) return undefined;
  const anchors = [0, 0.5, 1].map((k) => boxes.map((b) => ({ x: b.x + b.w * k, y: b.y + b.h / 2 })));
  const far = Math.min(
    ...anchors.map((pts) => Math.max(...pts.map((p) => Math.hypot(p.x - pts[0]!.x, p.y - pts[0]!.y)))),
  );
  const widths = boxes.map((b) => b.w).sort((a, b) => a - b);
  return far / widths[Math.floor(widths.length / 2)]!;
}

/**
 * True when two passes are fragments of one vehicle pass: a read misread badly enough (two look-alikes and a
 * cut-off end: "OIJ0" for "01J009") opened a pass of its own and the next few reads, nearer to it in time,
 * followed it. Their frames never coincide, their capture times interleave, their plate texts are within
 * half a plate of each other once look-alike characters are folded together (O/0, I/1, S/5, ...) and a
 * cut-off end is not counted (see likeTexts), and every boxed read of the smaller is on the other's track
 * (within one box width of its place at that time, interpolated between its reads around it). Two vehicles in view at once are read in common frames, or far
 * apart, or with unlike plates: never all three.
 */
function sameVehicle(a: OpenPass, b: OpenPass, opts: PassOptions): boolean {
  if (firstTs(a) > lastTs(b) || firstTs(b) > lastTs(a)) return false;
  const frames = new Set(a.reads.map((r) => r.frame));
  if (b.reads.some((r) => frames.has(r.frame))) return false;
  if (!likeTexts(a, b, opts.maxEditDistance)) return false;
  const [small, large] = a.reads.length <= b.reads.length ? [a, b] : [b, a];
  const track = large.reads.filter((r) => r.box && r.box.w > 0).sort((x, y) => x.ts - y.ts);
  if (track.length === 0) return false;
  let compared = 0;
  for (const r of small.reads) {
    if (!r.box || r.box.w <= 0) continue;
    const at = placeAt(track, r.ts);
    const dt = Math.abs(at.ts - r.ts);
    if (dt > opts.maxGapMs) return false;
    // On the other's track: within one box width of where it was then (interpolated between its reads
    // around that time); before or after its span, within what EVENTS_MAX_SPEED allows from its end.
    const size = Math.max(at.w, r.box.w, 1);
    const moved = Math.hypot(centre(r.box).x - at.x, centre(r.box).y - at.y);
    if (moved > size * (1 + (opts.maxSpeed * dt) / 1000)) return false;
    compared++;
  }
  return compared > 0;
}

/**
 * Whether some reading of `a` and some reading of `b` can be one plate: after folding look-alikes, the
 * edits beyond a cut-off end (a partial read, "YX40" for YX405SJ, costs nothing for the missing "5SJ") are
 * at most `maxEdit` or half the shorter text, which must hold at least MIN_FRAGMENT characters.
 */
function likeTexts(a: OpenPass, b: OpenPass, maxEdit: number): boolean {
  const textsA = [...new Set(a.reads.map((r) => foldToDigits(r.plate)))];
  const textsB = [...new Set(b.reads.map((r) => foldToDigits(r.plate)))];
  for (const x of textsA)
    for (const y of textsB) {
      const shorter = Math.min(x.length, y.length);
      if (shorter < MIN_FRAGMENT) continue;
      const extra = levenshtein(x, y, Math.max(x.length, y.length)) - Math.abs(x.length - y.length);
      if (extra <= Math.max(maxEdit, Math.floor(shorter / 2))) return true;
    }
  return false;
}

/** Fewest characters a reading must have to be compared as a fragment of another. */
const MIN_FRAGMENT = 3;

/**
 * Where a pass's plate was at capture time `ts`: its box centre and width interpolated between the reads
 * around `ts` (`ts` = the asked time), or its first or last read outside its span (`ts` = that read's time).
 */
function placeAt(track: readonly PassRead[], ts: number): { x: number; y: number; w: number; ts: number } {
  const first = track[0]!;
  const last = track[track.length - 1]!;
  const of = (r: PassRead) => ({ ...centre(r.box!), w: r.box!.w, ts: r.ts });
  if (ts <= first.ts) return of(first);
  if (ts >= last.ts) return of(last);
  let i = 1;
  while (track[i]!.ts < ts) i++;
  const a = of(track[i - 1]!);
  const b = of(track[i]!);
  const k = b.ts > a.ts ? (ts - a.ts) / (b.ts - a.ts) : 0;
  return { x: a.x + (b.x - a.x) * k, y: a.y + (b.y - a.y) * k, w: a.w + (b.w - a.w) * k, ts };
}

/** Moves `from`'s reads into `into` (capture order); the merged pass keeps the id of the one begun first. */
function mergeInto(into: OpenPass, from: OpenPass): void {
  if (firstTs(from) < firstTs(into)) into.id = from.id;
  into.reads = [...into.reads, ...from.reads].sort(byCapture);
}

function firstTs(p: OpenPass): number {
  return Math.min(...p.reads.map((r) => r.ts));
}

function lastTs(p: OpenPass): number {
  return Math.max(...p.reads.map((r) => r.ts));
}

/** Capture order: ts, then result id, then plate text (one order whatever order the reads arrived in). */
function byCapture(a: PassRead, b: PassRead): number {
  return a.ts - b.ts || compareIds(a.result, b.result) || cmp(a.plate, b.plate);
}

/** Assigns reads frame by frame in (ts, result id) order. */
function assignInOrder(state: CameraState, reads: PassRead[], opts: PassOptions): void {
  const sorted = [...reads].sort(byCapture);
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j]!.result === sorted[i]!.result) j++;
    assignFrame(state, sorted.slice(i, j), opts);
    i = j;
  }
}

/** The reads of one frame: cheapest (read, pass) pairs first, one read per pass; the rest open passes. */
function assignFrame(state: CameraState, reads: PassRead[], opts: PassOptions): void {
  const pairs: { read: number; pass: number; cost: number }[] = [];
  reads.forEach((r, ri) => {
    state.passes.forEach((p, pi) => {
      const cost = matchCost(p, r, opts);
      if (cost !== undefined) pairs.push({ read: ri, pass: pi, cost });
    });
  });
  pairs.sort((a, b) => a.cost - b.cost || a.pass - b.pass || a.read - b.read);
  const readDone = new Set<number>();
  const passTaken = new Set<number>();
  for (const { read, pass } of pairs) {
    if (readDone.has(read) || passTaken.has(pass)) continue;
    state.passes[pass]!.reads.push(reads[read]!);
    readDone.add(read);
    passTaken.add(pass);
  }
  reads.forEach((r, ri) => {
    if (readDone.has(ri)) return;
    state.passes.push({ id: `${state.camera}:${r.ts}:${state.next++}`, reads: [r] });
  });
}

/** How well a read continues a pass (lower is better), or undefined when it cannot be the same vehicle. */
export function matchCost(pass: OpenPass, read: PassRead, opts: PassOptions): number | undefined {
  if (pass.reads.length >= opts.maxPassReads || pass.reads.some((r) => r.result === read.result))
    return undefined;
  const last = nearestInTime(pass, read.ts);
  const dt = Math.abs(read.ts - last.ts);
  if (dt > opts.maxGapMs) return undefined;
  let dist = Number.POSITIVE_INFINITY;
  for (const text of recentTexts(pass)) {
    dist = Math.min(dist, levenshtein(read.plate, text, Math.max(opts.maxEditDistance, read.plate.length)));
  }
  let motion = 0;
  let overlapping = false;
  if (last.box && read.box) {
    const size = Math.max(last.box.w, read.box.w, 1);
    const moved = Math.hypot(
      centre(read.box).x - centre(last.box).x,
      centre(read.box).y - centre(last.box).y,
    );
    const allowed = size * (1 + (opts.maxSpeed * dt) / 1000);
    if (moved > allowed) return undefined;
    motion = moved / allowed;
    overlapping = iou(last.box, read.box) > 0.2;
  }
  const limit = overlapping
    ? Math.max(opts.maxEditDistance, Math.floor(read.plate.length / 2))
    : opts.maxEditDistance;
  if (dist > limit) return undefined;
  return dist + motion + dt / Math.max(1, opts.maxGapMs);
}

function nearestInTime(pass: OpenPass, ts: number): PassRead {
  let best = pass.reads[0]!;
  for (const r of pass.reads) if (Math.abs(r.ts - ts) < Math.abs(best.ts - ts)) best = r;
  return best;
}

/** The distinct texts of the pass's last few reads (what a next read is compared with). */
function recentTexts(pass: OpenPass): string[] {
  return [...new Set(pass.reads.slice(-6).map((r) => r.plate))];
}

function centre(b: PlateBox): { x: number; y: number } {
  return { x: b.x + b.w / 2, y: b.y + b.h / 2 };
}

function iou(a: PlateBox, b: PlateBox): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.w, b.x + b.w);
  const y2 = Math.min(a.y + a.h, b.y + b.h);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
