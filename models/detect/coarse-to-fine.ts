import { rectBounds } from '../geometry/quad.ts';
import { cropRgb, type RgbImage } from '../image/decode.ts';
import type { LoadedModel } from '../loader.ts';
import { DB_DEFAULTS, type DbOptions } from './db-postprocess.ts';
import type { DetectedBox, TextDetector } from './detector.ts';
import { PpocrTextDetector } from './ppocr-det.ts';

/**
 * Coarse-to-fine text detection for large frames. Detection cost grows with the detector input's area,
 * and an HD frame at side 960 spends most of it on road and sky. Instead:
 * 1. coarse: the whole frame at a reduced side, with lower DB thresholds so faint or small text still shows
 *    as a candidate region. The side follows from the frame size and the smallest plate to read: a plate
 *    character `minCharShare` of the frame's shorter side high must be `coarseCharPx` high in the coarse
 *    input (the detector misses text much smaller than ~6 px; measured on synthetic HD frames);
 * 2. fine: every candidate region, grown by a margin and merged with overlapping ones, is cropped from the
 *    full-resolution frame and detected again, scaled so its text is at most `fineLinePx` high (small text
 *    at native resolution). This gives the reader precise boxes (boxes from the coarse pass alone misread
 *    a character now and then) and drops coarse false alarms.
 * Frames whose longest side is at most `minSide` are detected once at `fineSize`, as before.
 */
export interface CoarseToFineOptions {
  /** Longest side of the coarse pass's input; 0 = chosen per frame from its size (see `coarseSide`). */
  coarseSize: number;
  /** Smallest plate character to find, as a share of the frame's shorter side (auto coarse size). */
  minCharShare: number;
  /** Character height (px of the coarse input) the detector still finds reliably (auto coarse size). */
  coarseCharPx: number;
  /** Detector size for frames up to `minSide`, and the largest side of a fine window's input. */
  fineSize: number;
  /** Frames with a longest side up to this are detected in one pass at fineSize. */
  minSide: number;
  /** Enlarge frames smaller than fineSize (single-pass frames only). */
  upscale: boolean;
  /** DB settings of the coarse pass (lower thresholds: recall over precision). */
  coarseDb: DbOptions;
  /** Window growth around a coarse box: this many box heights above/below, box widths left/right. */
  marginH: number;
  marginW: number;
  /** Fine windows per frame at most (highest coarse score first). */
  maxWindows: number;
  /**
   * Coarse boxes whose shorter side exceeds this share of the frame's shorter side are not text lines: at
   * a reduced scale the detector sometimes marks a whole busy area holding a plate as one blob. Such a
   * region is detected again at the single-pass scale (fineSize for the whole frame), as one pass would.
   */
  maxLineShare: number;
  /** A fine window is scaled down so its smallest coarse line is at most this high (px); 0 = native. */
  fineLinePx: number;
}

export const COARSE_TO_FINE_DEFAULTS: CoarseToFineOptions = {
  coarseSize: 0,
  minCharShare: 0.02,
  coarseCharPx: 6,
  fineSize: 960,
  minSide: 1024,
  upscale: false,
  coarseDb: { ...DB_DEFAULTS, threshold: 0.2, boxThreshold: 0.35 },
  marginH: 1.0,
  marginW: 0.2,
  maxWindows: 12,
  maxLineShare: 0.2,
  fineLinePx: 24,
};

/**
 * Longest side of the coarse input for a `width` x `height` frame: `coarseSize` when set, else the side at
 * which a character `minCharShare` of the shorter side high measures about `coarseCharPx`: the shorter
 * side becomes (shorter x coarseCharPx / character height) rounded to a multiple of 32 (the detector's
 * stride), the longer side follows; at least 320, at most `fineSize`. 1920x1080 and 1280x720 at the
 * defaults: 300 → 288, so 512x288 (characters of 2 % of the height: 5.8 px).
 */
export function coarseSide(width: number, height: number, o: CoarseToFineOptions): number {
  if (o.coarseSize > 0) return o.coarseSize;
  const shorter = Math.min(width, height);
  const side = Math.max(32, Math.round(o.coarseCharPx / o.minCharShare / 32) * 32);
  const longest = Math.round((Math.max(width, height) * side) / shorter);
  return Math.max(320, Math.min(o.fineSize, longest));
}

interface Window {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
  /** Scale (at most 1) of the window's fine pass. */
  scale: number;
}

export class CoarseToFineDetector implements TextDetector {
  /** True when frames of this size are detected coarse-to-fine (else in one pass at fineSize). */
  isCoarse(width: number, height: number): boolean {
    return (
      Math.max(width, height) > this.opts.minSide && coarseSide(width, height, this.opts) < this.opts.fineSize
    );
  }

  /** One pass at fineSize, as without coarse-to-fine (the recogniser's fallback). */
  detectSingle(img: RgbImage): Promise<DetectedBox[]> {
    return this.single.detect(img);
  }

  readonly id: string;
  private readonly single: PpocrTextDetector;
  private readonly coarse = new Map<number, PpocrTextDetector>();

  constructor(
    private readonly model: LoadedModel,
    private readonly opts: CoarseToFineOptions = COARSE_TO_FINE_DEFAULTS,
  ) {
    this.id = model.entry.id;
    this.single = new PpocrTextDetector(model, {
      size: opts.fineSize,
      upscale: opts.upscale,
      db: DB_DEFAULTS,
    });
  }

  private coarseDetector(size: number): PpocrTextDetector {
    let d = this.coarse.get(size);
    if (!d) {
      d = new PpocrTextDetector(this.model, { size, upscale: false, db: this.opts.coarseDb });
      this.coarse.set(size, d);
    }
    return d;
  }

  async detect(img: RgbImage): Promise<DetectedBox[]> {
    if (!this.isCoarse(img.width, img.height)) return this.single.detect(img);
    const side = coarseSide(img.width, img.height, this.opts);
    const candidates = await this.coarseDetector(side).detect(img);
    const out: DetectedBox[] = [];
    for (const w of this.windows(candidates, img.width, img.height)) {
      const size = Math.min(this.opts.fineSize, Math.max(32, Math.round(Math.max(w.w, w.h) * w.scale)));
      const fine = new PpocrTextDetector(this.model, { size, upscale: false, db: DB_DEFAULTS });
      const boxes = await fine.detect(cropRgb(img, w));
      for (const b of boxes)
        out.push({ ...b, rect: { ...b.rect, cx: b.rect.cx + w.x, cy: b.rect.cy + w.y } });
    }
    return out;
  }

  /** Grown, clipped, merged windows around the coarse boxes; the best `maxWindows` by score. */
  private windows(boxes: readonly DetectedBox[], width: number, height: number): Window[] {
    const o = this.opts;
    const singleScale = Math.min(1, o.fineSize / Math.max(width, height));
    const maxLine = o.maxLineShare * Math.min(width, height);
    let wins: Window[] = boxes.map((b) => {
      const bw = Math.max(b.rect.w, b.rect.h);
      const bh = Math.min(b.rect.w, b.rect.h);
      if (bh > maxLine) {
        // A blob, not a line: its own area again at the single-pass scale.
        const r = rectBounds(b.rect, width, height);
        return clip(r.x, r.y, r.w, r.h, b.score, singleScale, width, height);
      }
      const halfW = bw / 2 + bw * o.marginW + bh;
      const halfH = bh / 2 + bh * o.marginH;
      const scale = o.fineLinePx > 0 ? Math.min(1, o.fineLinePx / Math.max(1, bh)) : 1;
      return clip(b.rect.cx - halfW, b.rect.cy - halfH, 2 * halfW, 2 * halfH, b.score, scale, width, height);
    });
    // Merge overlapping windows until none overlap (a few boxes per frame: quadratic is fine).
    for (let merged = true; merged; ) {
      merged = false;
      outer: for (let i = 0; i < wins.length; i++) {
        for (let j = i + 1; j < wins.length; j++) {
          if (overlap(wins[i]!, wins[j]!)) {
            wins[i] = union(wins[i]!, wins[j]!);
            wins.splice(j, 1);
            merged = true;
            break outer;
          }
        }
      }
    }
    wins = wins.filter((w) => w.w >= 16 && w.h >= 16).sort((a, b) => b.score - a.score);
    return wins.slice(0, o.maxWindows);
  }
}

function clip(
  x: number,
  y: number,
  w: number,
  h: number,
  score: number,
  scale: number,
  width: number,
  height: number,
): Window {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(width, Math.ceil(x + w));
  const y1 = Math.min(height, Math.ceil(y + h));
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0), score, scale };
}

function overlap(a: Window, b: Window): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function union(a: Window, b: Window): Window {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    w: Math.max(a.x + a.w, b.x + b.w) - x,
    h: Math.max(a.y + a.h, b.y + b.h) - y,
    score: Math.max(a.score, b.score),
    scale: Math.max(a.scale, b.scale),
  };
}
