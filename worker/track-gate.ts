import type { EnvReader } from '../shared/config/env-reader.ts';
import type { PlateBox, RecognitionInput, RecognitionResult } from '../shared/recognizer.ts';
import { type GateOptions, RecognizerGate } from './recognizer-gate.ts';

/**
 * Reading the frames of a vehicle pass from the predicted plate region only.
 *
 * Once a frame of a camera was read with a confident plate, the next frames of that camera (within
 * `maxGapMs` of capture time) are first read in a rectangle round where the plate is expected: its last box
 * moved by its velocity, enlarged by a margin. A confident read there is the frame's result (detection ran
 * on a crop of a few hundred pixels instead of the whole frame); anything else, and every `fullEvery`-th
 * frame of a track (so a second vehicle entering elsewhere is not missed for long), is read in full. The
 * track lives in Redis (a box and two velocities, no plate text, with a TTL), shared by every worker, like
 * the static gate's reference. Off by default: see models/MODEL_CARD.md for what it saves and costs.
 */
export interface TrackOptions {
  /** LPR_TRACK_REGION: read frames of a tracked plate in its predicted region first. */
  trackRegion: boolean;
  /** LPR_TRACK_MIN_CONFIDENCE: a read at least this confident starts or continues a track. */
  trackMinConfidence: number;
  /** LPR_TRACK_MAX_GAP_MS: a track whose last read is further than this in capture time is not used. */
  trackMaxGapMs: number;
  /** LPR_TRACK_FULL_EVERY: at most this many frames in a row are read from the region (then one in full). */
  trackFullEvery: number;
}

export const TRACK_DEFAULTS: TrackOptions = Object.freeze({
  trackRegion: false,
  trackMinConfidence: 0.9,
  trackMaxGapMs: 1000,
  trackFullEvery: 4,
});

/** Reads the LPR_TRACK_* variables (problems go to the reader with the process's others). */
export function readTrackOptions(r: EnvReader, d: TrackOptions = TRACK_DEFAULTS): TrackOptions {
  return {
    trackRegion: r.bool('LPR_TRACK_REGION', d.trackRegion),
    trackMinConfidence: r.number('LPR_TRACK_MIN_CONFIDENCE', d.trackMinConfidence, { min: 0, max: 1 }),
    trackMaxGapMs: r.int('LPR_TRACK_MAX_GAP_MS', d.trackMaxGapMs, { min: 50, max: 10_000 }),
    trackFullEvery: r.int('LPR_TRACK_FULL_EVERY', d.trackFullEvery, { min: 2, max: 100 }),
  };
}

/** What is kept per camera: the last confident box, its capture time and velocity (px per ms). */
interface Track {
  v: 1;
  ts: number;
  box: PlateBox;
  vx: number;
  vy: number;
  /** Frames read from the region since the last full read. */
  n: number;
}

export interface TrackGateOptions extends GateOptions {
  options: TrackOptions;
}

/** Margins of the predicted region round the plate's last box, in plate widths and heights. */
const MARGIN_W = 0.6;
const MARGIN_H = 1.5;
/** Plus this many pixels each side, and half the distance the plate moved since. */
const MARGIN_PX = 16;

export class TrackGate extends RecognizerGate<TrackGateOptions> {
  async recognize(input: RecognitionInput, signal?: AbortSignal): Promise<RecognitionResult> {
    const o = this.opts.options;
    if (!o.trackRegion || input.region) return this.inner.recognize(input, signal);
    const key = this.keysOf(input.camera).plateTrack(input.camera);
    const track = parseTrack(
      await this.opts.redis.get(key).catch((err: unknown) => {
        this.warn.warn({ err, camera: input.camera }, 'track gate: cannot read the track; reading in full');
        return null;
      }),
    );
    const dt = track ? input.ts - track.ts : Number.POSITIVE_INFINITY;
    if (track && Math.abs(dt) <= o.trackMaxGapMs && track.n + 1 < o.trackFullEvery) {
      const region = predictRegion(track, dt);
      const r = await this.inner.recognize({ ...input, region }, signal);
      if (r.plate && r.box && r.confidence >= o.trackMinConfidence) {
        await this.store(key, follow(track, r.box, input.ts, track.n + 1));
        return { ...r, timings: { ...r.timings, region: 1 } };
      }
      const full = await this.inner.recognize(input, signal);
      await this.afterFull(key, track, full, input.ts);
      return { ...full, timings: { ...full.timings, regionMissed: 1 } };
    }
    const full = await this.inner.recognize(input, signal);
    await this.afterFull(key, track, full, input.ts);
    return full;
  }

  /** A full read starts or continues a track when confident, and ends it when it found no plate. */
  private async afterFull(
    key: string,
    prev: Track | undefined,
    r: RecognitionResult,
    ts: number,
  ): Promise<void> {
    if (r.plate && r.box && r.confidence >= this.opts.options.trackMinConfidence) {
      await this.store(key, follow(prev, r.box, ts, 0, this.opts.options.trackMaxGapMs));
    } else if (!r.plate && prev) {
      await this.opts.redis.del(key).catch(() => undefined);
    }
  }

  private async store(key: string, t: Track): Promise<void> {
    await this.opts.redis
      .set(key, JSON.stringify(t), 'PX', 2 * this.opts.options.trackMaxGapMs)
      .catch((err: unknown) => this.warn.warn({ err }, 'track gate: cannot store the track'));
  }
}

function parseTrack(raw: string | null): Track | undefined {
  if (!raw) return undefined;
  try {
    const t = JSON.parse(raw) as Track;
    return t && t.v === 1 && t.box && Number.isFinite(t.ts) ? t : undefined;
  } catch {
    return undefined;
  }
}

const centre = (b: PlateBox) => [b.x + b.w / 2, b.y + b.h / 2] as const;

/**
 * The track after a confident read at `ts`: velocity from the previous box when that is the same plate
 * (its box within a few plate widths of the prediction, in capture time order), smoothed; else at rest.
 */
export function follow(
  prev: Track | undefined,
  box: PlateBox,
  ts: number,
  n: number,
  maxGapMs = Number.POSITIVE_INFINITY,
): Track {
  let vx = 0;
  let vy = 0;
  const dt = prev ? ts - prev.ts : 0;
  if (prev && dt > 0 && dt <= maxGapMs) {
    const [px, py] = centre(prev.box);
    const [cx, cy] = centre(box);
    const [ex, ey] = [px + prev.vx * dt, py + prev.vy * dt];
    if (Math.hypot(cx - ex, cy - ey) <= 3 * Math.max(prev.box.w, box.w)) {
      vx = 0.5 * ((cx - px) / dt) + 0.5 * prev.vx;
      vy = 0.5 * ((cy - py) / dt) + 0.5 * prev.vy;
    }
  } else if (prev && dt <= 0) {
    // An older frame finished after a newer one: keep the newer track's time and motion.
    return { ...prev, n };
  }
  return { v: 1, ts, box, vx, vy, n };
}

/** Where the plate of `t` is expected `dt` ms after its last read: its box moved and enlarged. */
export function predictRegion(t: Track, dt: number): PlateBox {
  const [cx, cy] = centre(t.box);
  const mx = t.vx * dt;
  const my = t.vy * dt;
  const halfW = t.box.w / 2 + MARGIN_W * t.box.w + Math.abs(mx) / 2 + MARGIN_PX;
  const halfH = t.box.h / 2 + MARGIN_H * t.box.h + Math.abs(my) / 2 + MARGIN_PX;
  const x = cx + mx - halfW;
  const y = cy + my - halfH;
  return {
    x: Math.max(0, x),
    y: Math.max(0, y),
    w: 2 * halfW + Math.min(0, x),
    h: 2 * halfH + Math.min(0, y),
  };
}
