import type { Roi } from '../shared/config/camera-roi.ts';
import {
  changedFraction,
  decodeReference,
  encodeReference,
  type FrameThumbnail,
  regionMask,
  thumbnail,
} from '../shared/image/static-scene.ts';
import type { RecognitionInput, RecognitionResult } from '../shared/recognizer.ts';
import { COUNTER, type StreamKeys } from '../shared/redis/keys.ts';
import { type GateOptions, RecognizerGate } from './recognizer-gate.ts';

/** How long skipped frames are counted in memory before they are added to Redis's counters. */
const SKIP_COUNT_FLUSH_MS = 1000;

/** Static-frame skipping of one camera. */
export interface StaticSettings {
  /** Share of changed thumbnail pixels (0..1) below which a frame is the same scene as the reference. */
  threshold: number;
  /**
   * A reference older than this is not trusted: the frame is read in full and becomes the new reference
   * (so a vehicle that stopped in view is read again, and slow light changes never freeze the reference).
   */
  maxAgeMs: number;
  /** Compare only inside this region (the camera's region of interest), when set. */
  roi?: Roi;
}

export interface StaticGateOptions extends GateOptions {
  /** The settings of a camera, or undefined when its frames are never skipped. */
  settingsFor: (camera: string) => StaticSettings | undefined;
}

/** True when some camera's frames may be skipped (the gate is worth putting in front of the recogniser). */
export function skipsAnyCamera(o: Pick<StaticFrameOptions, 'skipStatic' | 'cameraStatic'>): boolean {
  return o.skipStatic || Object.values(o.cameraStatic).some((v) => v !== 'off');
}

/** The settings of every camera, from the worker's options: off, the global ones, or a camera's own. */
export function staticSettingsLookup(
  o: Pick<StaticFrameOptions, 'skipStatic' | 'staticThreshold' | 'staticMaxAgeMs' | 'cameraStatic'>,
  rois: Readonly<Record<string, Roi>> = {},
): (camera: string) => StaticSettings | undefined {
  return (camera) => {
    const own = o.cameraStatic[camera];
    if (own === 'off' || (own === undefined && !o.skipStatic)) return undefined;
    const threshold = typeof own === 'number' ? own : o.staticThreshold;
    return { threshold, maxAgeMs: o.staticMaxAgeMs, roi: rois[camera] };
  };
}

/** The worker options of static-frame skipping (see worker/config.ts). */
export interface StaticFrameOptions {
  /** Skip static frames of every camera (LPR_SKIP_STATIC); cameraStatic overrides per camera. */
  skipStatic: boolean;
  /** LPR_STATIC_THRESHOLD: share of changed thumbnail pixels below which a frame is static. */
  staticThreshold: number;
  /** LPR_STATIC_MAX_AGE_MS: a reference older than this is replaced by a full read. */
  staticMaxAgeMs: number;
  /** LPR_CAMERA_STATIC="cam-a=off;cam-b=on;cam-c=0.01": per camera off, on, or on with its own threshold. */
  cameraStatic: Readonly<Record<string, 'off' | 'on' | number>>;
}

/** Parses LPR_CAMERA_STATIC; problems go to the reader. */
export function parseCameraStatic(
  r: { problem(name: string, message: string): void },
  name: string,
  raw: string | undefined,
): Record<string, 'off' | 'on' | number> {
  const out: Record<string, 'off' | 'on' | number> = {};
  for (const part of (raw ?? '').split(';')) {
    if (part.trim() === '') continue;
    const [camera, value] = part.split('=').map((v) => v.trim());
    const n = Number(value);
    if (camera && (value === 'off' || value === 'on')) out[camera] = value;
    else if (camera && value && Number.isFinite(n) && n >= 0 && n <= 1) out[camera] = n;
    else r.problem(name, `"${part.trim()}" is not CAMERA=off, CAMERA=on or CAMERA=<threshold 0..1>`);
  }
  return out;
}

/**
 * A recogniser in front of another: a frame whose thumbnail matches its camera's reference (the last frame
 * read in full, kept in Redis and shared by every worker) gets a result with `skipped: "static"` and no
 * detection at all; any other frame is recognised by the inner recogniser and becomes the reference.
 * When Redis or the thumbnail fails, the frame is simply read in full.
 */
export class StaticGate extends RecognizerGate<StaticGateOptions> {
  private readonly masks = new Map<string, Uint8Array | undefined>();
  /** Skipped frames not yet added to their partition's counters hash (key → count): see countSkip. */
  private readonly unflushedSkips = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  protected override beforeRedisCloses(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    return this.flushSkips();
  }

  async recognize(input: RecognitionInput, signal?: AbortSignal): Promise<RecognitionResult> {
    const settings = this.opts.settingsFor(input.camera);
    if (!settings) return this.inner.recognize(input, signal);
    const t0 = performance.now();
    let thumb: FrameThumbnail;
    try {
      thumb = await thumbnail(input.img);
    } catch {
      // Bytes the thumbnail cannot decode: the recogniser says why (IMAGE_INVALID → dead letter).
      return this.inner.recognize(input, signal);
    }
    const keys = this.keysOf(input.camera);
    const key = keys.staticReference(input.camera);
    const ref = decodeReference(
      await this.opts.redis.getBuffer(key).catch((err: unknown) => {
        this.warn.warn(
          { err, camera: input.camera },
          'static gate: cannot read the reference; reading in full',
        );
        return null;
      }),
    );
    const now = Date.now();
    if (ref && now - ref.at < settings.maxAgeMs) {
      const changed = changedFraction(thumb, ref, this.mask(input.camera, thumb, settings.roi));
      if (changed < settings.threshold) return this.skip(keys, thumb, t0, changed);
    }
    const result = await this.inner.recognize(input, signal);
    await this.opts.redis
      .set(key, encodeReference(thumb, now, thumb.frameWidth), 'PX', Math.max(1000, settings.maxAgeMs * 2))
      .catch((err: unknown) =>
        this.warn.warn({ err, camera: input.camera }, 'static gate: cannot store the reference'),
      );
    return result;
  }

  private async skip(
    keys: StreamKeys,
    thumb: FrameThumbnail,
    t0: number,
    changed: number,
  ): Promise<RecognitionResult> {
    this.countSkip(keys.counters);
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    return {
      plate: '',
      confidence: 0,
      candidates: [],
      model: this.inner.id,
      timings: { static: ms, changed: Math.round(changed * 10_000) / 10_000 },
      width: thumb.frameWidth,
      height: thumb.frameHeight,
      skipped: 'static',
    };
  }

  /**
   * A statistic for `stats`, counted when decided (a frame retried after a crash may count twice) and
   * added to Redis at most once a second and at close: one HINCRBY per skipped frame was a tenth of a
   * static frame's CPU. A process killed outright loses up to a second of counts, never a result.
   */
  private countSkip(countersKey: string): void {
    this.unflushedSkips.set(countersKey, (this.unflushedSkips.get(countersKey) ?? 0) + 1);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushSkips();
    }, SKIP_COUNT_FLUSH_MS).unref();
  }

  private flushSkips(): Promise<void> {
    const counts = [...this.unflushedSkips];
    this.unflushedSkips.clear();
    if (counts.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      for (const [key, n] of counts) {
        await this.opts.redis.hincrby(key, COUNTER.skippedStatic, n).catch((err: unknown) => {
          this.warn.warn({ err }, 'static gate: cannot count skipped frames');
        });
      }
    });
    return this.flushing;
  }

  /** The ROI mask of a camera at this thumbnail size (cached; cameras rarely change resolution). */
  private mask(camera: string, thumb: FrameThumbnail, roi: StaticSettings['roi']): Uint8Array | undefined {
    if (!roi) return undefined;
    const k = `${camera}|${thumb.width}x${thumb.height}|${thumb.frameWidth}`;
    if (!this.masks.has(k)) this.masks.set(k, regionMask(thumb, thumb.frameWidth, roi));
    return this.masks.get(k);
  }
}
