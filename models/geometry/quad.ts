/** Small 2-D geometry for text boxes: points, rotated rectangles, convex hull, minimum-area rectangle. */

export interface Point {
  x: number;
  y: number;
}

/**
 * A rotated rectangle. `angle` (radians) is the direction of the `w` side; `h` is perpendicular.
 * Normalised so that w >= h and the angle lies in (-pi/2, pi/2].
 */
export interface RotatedRect {
  cx: number;
  cy: number;
  w: number;
  h: number;
  angle: number;
}

/** Corners of a rotated rectangle in reading order: top-left, top-right, bottom-right, bottom-left. */
export type Quad = readonly [Point, Point, Point, Point];

function cross(o: Point, a: Point, b: Point): number {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/** Convex hull (Andrew's monotone chain), counter-clockwise, no repeated end point. */
export function convexHull(points: readonly Point[]): Point[] {
  const pts = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (pts.length < 3) return pts;
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0)
      lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0)
      upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/** Normalises so that w >= h and the angle of the w side lies in (-pi/2, pi/2]. */
export function normaliseRect(r: RotatedRect): RotatedRect {
  let { w, h, angle } = r;
  if (h > w) {
    [w, h] = [h, w];
    angle += Math.PI / 2;
  }
  while (angle > Math.PI / 2) angle -= Math.PI;
  while (angle <= -Math.PI / 2) angle += Math.PI;
  return { cx: r.cx, cy: r.cy, w, h, angle };
}

/** Minimum-area enclosing rectangle (rotating calipers over the hull's edge directions). */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  const hull = convexHull(points);
  if (hull.length === 0) return { cx: 0, cy: 0, w: 0, h: 0, angle: 0 };
  if (hull.length < 3) {
    const a = hull[0]!;
    const b = hull[hull.length - 1]!;
    return normaliseRect({
      cx: (a.x + b.x) / 2,
      cy: (a.y + b.y) / 2,
      w: Math.hypot(b.x - a.x, b.y - a.y),
      h: 0,
      angle: Math.atan2(b.y - a.y, b.x - a.x),
    });
  }
  let best: RotatedRect | undefined;
  let bestArea = Number.POSITIVE_INFINITY;
  for (let i = 0; i < hull.length; i++) {
    const p = hull[i]!;
    const q = hull[(i + 1) % hull.length]!;
    const len = Math.hypot(q.x - p.x, q.y - p.y);
    if (len === 0) continue;
    const ux = (q.x - p.x) / len;
    const uy = (q.y - p.y) / len;
    let minU = Number.POSITIVE_INFINITY;
    let maxU = Number.NEGATIVE_INFINITY;
    let minV = Number.POSITIVE_INFINITY;
    let maxV = Number.NEGATIVE_INFINITY;
    for (const s of hull) {
      const u = s.x * ux + s.y * uy;
      const v = -s.x * uy + s.y * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = {
        cx: cu * ux - cv * uy,
        cy: cu * uy + cv * ux,
        w: maxU - minU,
        h: maxV - minV,
        angle: Math.atan2(uy, ux),
      };
    }
  }
  return normaliseRect(best!);
}

/** Corners in reading order (tl, tr, br, bl) for a normalised rectangle. */
export function rectCorners(r: RotatedRect): Quad {
  const ux = Math.cos(r.angle);
  const uy = Math.sin(r.angle);
  const hw = r.w / 2;
  const hh = r.h / 2;
  // v axis points "down" in image coordinates (perpendicular to u, rotated +90 degrees).
  const vx = -uy;
  const vy = ux;
  const at = (su: number, sv: number): Point => ({
    x: r.cx + su * hw * ux + sv * hh * vx,
    y: r.cy + su * hw * uy + sv * hh * vy,
  });
  return [at(-1, -1), at(1, -1), at(1, 1), at(-1, 1)];
}

/** Axis-aligned bounding box of a rectangle, clamped to the frame. */
export function rectBounds(
  r: RotatedRect,
  width: number,
  height: number,
): { x: number; y: number; w: number; h: number } {
  const c = rectCorners(r);
  const xs = c.map((p) => p.x);
  const ys = c.map((p) => p.y);
  const x0 = Math.max(0, Math.min(...xs));
  const y0 = Math.max(0, Math.min(...ys));
  const x1 = Math.min(width, Math.max(...xs));
  const y1 = Math.min(height, Math.max(...ys));
  return {
    x: Math.round(x0),
    y: Math.round(y0),
    w: Math.max(0, Math.round(x1 - x0)),
    h: Math.max(0, Math.round(y1 - y0)),
  };
}

/** Intersection over union of two axis-aligned boxes. */
export function iou(
  a: { x: number; y: number; w: number; h: number },
  b: { x: number; y: number; w: number; h: number },
): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}
