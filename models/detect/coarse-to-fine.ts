import { cropRgb, type RgbImage } from '../image/decode.ts';
import type { LoadedModel } from '../loader.ts';
import { DB_DEFAULTS, type DbOptions } from './db-postprocess.ts';
import type { DetectedBox, TextDetector } from './detector.ts';
import { PpocrTextDetector } from './ppocr-det.ts';

/**
 * Coarse-to-fine text detection for large frames. Detection cost grows with the detector input's area,
 * and an HD frame at side 960 spends most of it on road and sky. Instead:
 * 1. coarse: the whole frame at a reduced side (`coarseSize`), with lower DB thresholds so faint or small
 *    text still shows as a candidate region;
 * 2. fine: each candidate region, grown by a margin and merged with overlapping ones, is cropped from the
 *    full-resolution frame and detected again at up to `fineSize` (small crops: native resolution), which
 *    gives the reader precise boxes and drops coarse false alarms.
 * Frames whose longest side is at most `minSide` are detected once at `fineSize`, as before.
 */
export interface CoarseToFineOptions {
  /** Longest side of the coarse pass's input. */
  coarseSize: number;
  /** Detector size for small frames and for each fine window. */
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
  /** Coarse boxes at least this high (px at the coarse scale) are kept as they are; smaller ones are refined. */
  refineBelowPx: number;
}

export const COARSE_TO_FINE_DEFAULTS: CoarseToFineOptions = {
  coarseSize: 640,
  fineSize: 960,
  minSide: 1024,
  upscale: false,
  coarseDb: { ...DB_DEFAULTS, threshold: 0.2, boxThreshold: 0.35 },
  marginH: 1.5,
  marginW: 0.35,
  maxWindows: 12,
  refineBelowPx: 12,
};

interface Window {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
}

export class CoarseToFineDetector implements TextDetector {
  readonly id: string;
  private readonly coarse: PpocrTextDetector;
  private readonly fine: PpocrTextDetector;

  constructor(
    model: LoadedModel,
    private readonly opts: CoarseToFineOptions = COARSE_TO_FINE_DEFAULTS,
  ) {
    this.id = model.entry.id;
    this.coarse = new PpocrTextDetector(model, { size: opts.coarseSize, upscale: false, db: opts.coarseDb });
    this.fine = new PpocrTextDetector(model, { size: opts.fineSize, upscale: opts.upscale, db: DB_DEFAULTS });
  }

  async detect(img: RgbImage): Promise<DetectedBox[]> {
    const longest = Math.max(img.width, img.height);
    if (longest <= this.opts.minSide) return this.fine.detect(img);
    const scale = Math.min(1, this.opts.coarseSize / longest);
    const candidates = await this.coarse.detect(img);
    const out: DetectedBox[] = [];
    // Text lines tall enough at the coarse scale are found well there; only small ones are looked at again.
    const small: DetectedBox[] = [];
    for (const b of candidates) {
      if (Math.min(b.rect.w, b.rect.h) * scale >= this.opts.refineBelowPx) {
        if (b.score >= DB_DEFAULTS.boxThreshold) out.push(b);
      } else small.push(b);
    }
    for (const w of this.windows(small, img.width, img.height)) {
      const boxes = await this.fine.detect(cropRgb(img, w));
      for (const b of boxes) out.push({ ...b, rect: { ...b.rect, cx: b.rect.cx + w.x, cy: b.rect.cy + w.y } });
    }
    return out;
  }

  /** Grown, clipped, merged windows around the coarse boxes; the best `maxWindows` by score. */
  private windows(boxes: readonly DetectedBox[], width: number, height: number): Window[] {
    const o = this.opts;
    let wins: Window[] = boxes.map((b) => {
      const bw = Math.max(b.rect.w, b.rect.h);
      const bh = Math.min(b.rect.w, b.rect.h);
      const halfW = bw / 2 + bw * o.marginW + bh;
      const halfH = bh / 2 + bh * o.marginH;
      return clip(b.rect.cx - halfW, b.rect.cy - halfH, 2 * halfW, 2 * halfH, b.score, width, height);
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

function clip(x: number, y: number, w: number, h: number, score: number, width: number, height: number): Window {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(width, Math.ceil(x + w));
  const y1 = Math.min(height, Math.ceil(y + h));
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0), score };
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
  };
}
