import ClipperLib from 'clipper-lib';
import { minAreaRect, type Point, type RotatedRect, rectCorners } from '../geometry/quad.ts';

/** Options of the DB (differentiable binarisation) post-processing, in detector-map pixels. */
export interface DbOptions {
  /** Pixels with probability above this are text. */
  threshold: number;
  /** Boxes whose mean probability is below this are dropped. */
  boxThreshold: number;
  /** Box growth: offset distance = area * ratio / perimeter (DB's unclip). */
  unclipRatio: number;
  /** Boxes with a shorter side (before unclip) below this are dropped. */
  minSize: number;
  /** At most this many boxes, highest score first. */
  maxBoxes: number;
}

export const DB_DEFAULTS: DbOptions = {
  threshold: 0.3,
  boxThreshold: 0.5,
  unclipRatio: 1.5,
  minSize: 3,
  maxBoxes: 200,
};

export interface DbBox {
  rect: RotatedRect;
  score: number;
}

/** Grows a polygon by `distance` with Clipper's round-joined offset. */
export function unclip(points: readonly Point[], distance: number): Point[] {
  const scale = 16; // Clipper works on integers: keep sub-pixel precision.
  const co = new ClipperLib.ClipperOffset();
  co.AddPath(
    points.map((p) => ({ X: Math.round(p.x * scale), Y: Math.round(p.y * scale) })),
    ClipperLib.JoinType.jtRound,
    ClipperLib.EndType.etClosedPolygon,
  );
  const out: { X: number; Y: number }[][] = [];
  co.Execute(out, distance * scale);
  const biggest = out.reduce<{ X: number; Y: number }[]>((a, b) => (b.length > a.length ? b : a), []);
  return biggest.map((p) => ({ x: p.X / scale, y: p.Y / scale }));
}

/**
 * Probability map (row-major, `width` x `height`) → text boxes: threshold, 4-connected components,
 * minimum-area rectangle of each component, mean-probability score, unclip.
 */
export function dbBoxes(
  prob: Float32Array,
  width: number,
  height: number,
  opts: DbOptions = DB_DEFAULTS,
): DbBox[] {
  const n = width * height;
  const labels = new Int32Array(n); // 0 = unvisited, -1 = background/visited
  const stack = new Int32Array(n);
  const boxes: DbBox[] = [];
  for (let start = 0; start < n; start++) {
    if (labels[start] !== 0) continue;
    if (prob[start]! <= opts.threshold) {
      labels[start] = -1;
      continue;
    }
    // Flood-fill one component; track per-row extremes for the hull and the probability sum.
    let top = 0;
    stack[top++] = start;
    labels[start] = 1;
    let sum = 0;
    let count = 0;
    const rowMin = new Map<number, number>();
    const rowMax = new Map<number, number>();
    while (top > 0) {
      const p = stack[--top]!;
      const y = (p / width) | 0;
      const x = p - y * width;
      sum += prob[p]!;
      count++;
      const lo = rowMin.get(y);
      if (lo === undefined || x < lo) rowMin.set(y, x);
      const hi = rowMax.get(y);
      if (hi === undefined || x > hi) rowMax.set(y, x);
      if (x > 0 && labels[p - 1] === 0) {
        if (prob[p - 1]! > opts.threshold) {
          labels[p - 1] = 1;
          stack[top++] = p - 1;
        } else labels[p - 1] = -1;
      }
      if (x < width - 1 && labels[p + 1] === 0) {
        if (prob[p + 1]! > opts.threshold) {
          labels[p + 1] = 1;
          stack[top++] = p + 1;
        } else labels[p + 1] = -1;
      }
      if (y > 0 && labels[p - width] === 0) {
        if (prob[p - width]! > opts.threshold) {
          labels[p - width] = 1;
          stack[top++] = p - width;
        } else labels[p - width] = -1;
      }
      if (y < height - 1 && labels[p + width] === 0) {
        if (prob[p + width]! > opts.threshold) {
          labels[p + width] = 1;
          stack[top++] = p + width;
        } else labels[p + width] = -1;
      }
    }
    if (count < 4) continue;
    const score = sum / count;
    if (score < opts.boxThreshold) continue;
    const pts: Point[] = [];
    for (const [y, lo] of rowMin) {
      const hi = rowMax.get(y)!;
      pts.push({ x: lo, y }, { x: hi + 1, y }, { x: lo, y: y + 1 }, { x: hi + 1, y: y + 1 });
    }
    const rect = minAreaRect(pts);
    if (Math.min(rect.w, rect.h) < opts.minSize) continue;
    const distance = (rect.w * rect.h * opts.unclipRatio) / (2 * (rect.w + rect.h));
    const grown = minAreaRect(unclip(rectCorners(rect), distance));
    boxes.push({ rect: grown, score });
  }
  boxes.sort((a, b) => b.score - a.score);
  return boxes.slice(0, opts.maxBoxes);
}

/** Maps a rectangle from detector-map pixels to frame pixels (independent x/y scales). */
export function scaleRect(r: RotatedRect, sx: number, sy: number): RotatedRect {
  if (sx === sy) return { ...r, cx: r.cx * sx, cy: r.cy * sy, w: r.w * sx, h: r.h * sy };
  return minAreaRect(rectCorners(r).map((p) => ({ x: p.x * sx, y: p.y * sy })));
}
