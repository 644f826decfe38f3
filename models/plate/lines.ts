import { minAreaRect, type RotatedRect, rectCorners } from '../geometry/quad.ts';

/** A region worth reading: one text line, or neighbouring lines joined (a plate split in two boxes). */
export interface LineRegion {
  rect: RotatedRect;
  /** Detector score (mean over parts). */
  score: number;
  /** How many detector boxes it joins. */
  parts: number;
}

export interface LineOptions {
  /** Shortest text height (frame pixels) worth reading. */
  minHeight: number;
  /** Line aspect (w/h) range that a plate's text line can have. */
  minAspect: number;
  maxAspect: number;
  /** Joins boxes whose gap is at most this many line heights. */
  joinGap: number;
  /** At most this many regions are read per frame (best prior first). */
  maxRegions: number;
}

export const LINE_DEFAULTS: LineOptions = {
  minHeight: 7,
  minAspect: 0.6,
  maxAspect: 14,
  joinGap: 1.4,
  maxRegions: 16,
};

/** Direction-aware coordinates of `b` relative to line `a`: along (u) and across (v). */
function relative(a: RotatedRect, b: RotatedRect): { du: number; dv: number } {
  const ux = Math.cos(a.angle);
  const uy = Math.sin(a.angle);
  const dx = b.cx - a.cx;
  const dy = b.cy - a.cy;
  return { du: dx * ux + dy * uy, dv: -dx * uy + dy * ux };
}

/** Text direction of a box: for near-square boxes the long side is arbitrary, so use horizontal. */
function lineAngle(r: RotatedRect): number {
  return r.w < r.h * 1.3 ? 0 : r.angle;
}

/** Can `b` continue line `a` to its right (similar height, aligned, small gap)? */
function continues(a: RotatedRect, b: RotatedRect, opts: LineOptions): boolean {
  const h = Math.max(a.h, b.h);
  const hr = Math.max(a.h, b.h) / Math.max(1, Math.min(a.h, b.h));
  if (hr > 1.6) return false;
  const angle = lineAngle(a);
  const { du, dv } = relative({ ...a, angle }, b);
  if (du <= 0 || Math.abs(dv) > 0.45 * h) return false;
  const widthA = angle === a.angle ? a.w : a.h;
  const widthB = lineAngle(b) === b.angle ? b.w : b.h;
  const gap = du - widthA / 2 - widthB / 2;
  return gap <= opts.joinGap * h && gap > -0.5 * h;
}

function join(rects: readonly RotatedRect[]): RotatedRect {
  const r = minAreaRect(rects.flatMap((x) => rectCorners(x)));
  return r;
}

/**
 * Turns detector boxes into regions to read: every plausible single line, plus chains of 2-3 neighbouring
 * boxes on one line (plates whose groups the detector split). Ranked by a cheap prior; top `maxRegions`.
 */
export function lineRegions(
  boxes: readonly { rect: RotatedRect; score: number }[],
  opts: LineOptions = LINE_DEFAULTS,
): LineRegion[] {
  const usable = boxes.filter((b) => b.rect.h >= opts.minHeight * 0.8);
  const out: LineRegion[] = [];
  const plausible = (r: RotatedRect) => {
    const aspect = r.w / Math.max(1, r.h);
    const upright = r.w < r.h * 1.3 || Math.abs(r.angle) <= (40 * Math.PI) / 180;
    return upright && r.h >= opts.minHeight && aspect >= opts.minAspect && aspect <= opts.maxAspect;
  };
  for (const b of usable) if (plausible(b.rect)) out.push({ rect: b.rect, score: b.score, parts: 1 });
  for (let i = 0; i < usable.length; i++) {
    for (let j = 0; j < usable.length; j++) {
      if (i === j || !continues(usable[i]!.rect, usable[j]!.rect, opts)) continue;
      const two = join([usable[i]!.rect, usable[j]!.rect]);
      if (plausible(two)) out.push({ rect: two, score: (usable[i]!.score + usable[j]!.score) / 2, parts: 2 });
      for (let k = 0; k < usable.length; k++) {
        if (k === i || k === j || !continues(usable[j]!.rect, usable[k]!.rect, opts)) continue;
        const three = join([usable[i]!.rect, usable[j]!.rect, usable[k]!.rect]);
        if (plausible(three)) {
          out.push({
            rect: three,
            score: (usable[i]!.score + usable[j]!.score + usable[k]!.score) / 3,
            parts: 3,
          });
        }
      }
    }
  }
  out.sort((a, b) => prior(b) - prior(a));
  return out.slice(0, opts.maxRegions);
}

/** Cheap plate-likeness before reading: aspect near a plate line's, detector score, some size. */
export function prior(r: LineRegion): number {
  const aspect = r.rect.w / Math.max(1, r.rect.h);
  const aspectFit = aspect < 1.5 ? 0.3 : aspect < 2 ? 0.7 : aspect <= 8 ? 1 : aspect <= 10 ? 0.6 : 0.3;
  const sizeFit = Math.min(1, r.rect.h / 14);
  return r.score * aspectFit * (0.5 + 0.5 * sizeFit);
}

/** Grows a text-line rectangle to the whole plate: `marginW` line heights each side, height times `scaleH`. */
export function growToPlate(r: RotatedRect, marginW: number, scaleH: number): RotatedRect {
  // Keep the plate reader's crop upright: near-square lines use the horizontal direction.
  const angle = lineAngle(r);
  const w = angle === r.angle ? r.w : r.h;
  const h = angle === r.angle ? r.h : r.w;
  return { cx: r.cx, cy: r.cy, w: w + 2 * marginW * h, h: h * scaleH, angle };
}
