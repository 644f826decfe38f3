import { describe, expect, it } from 'vitest';
import { dbBoxes, unclip } from '../detect/db-postprocess.ts';
import { detInputSize } from '../detect/ppocr-det.ts';
import { convexHull, iou, minAreaRect, rectBounds, rectCorners } from '../geometry/quad.ts';
import { growToPlate, lineRegions } from '../plate/lines.ts';

describe('geometry', () => {
  it('finds the minimum-area rectangle of a rotated rectangle', () => {
    const truth = { cx: 50, cy: 40, w: 60, h: 12, angle: (15 * Math.PI) / 180 };
    const r = minAreaRect([...rectCorners(truth), { x: 50, y: 40 }]);
    expect(r.w).toBeCloseTo(60, 5);
    expect(r.h).toBeCloseTo(12, 5);
    expect(r.angle).toBeCloseTo(truth.angle, 5);
    expect(r.cx).toBeCloseTo(50, 5);
    expect(r.cy).toBeCloseTo(40, 5);
  });

  it('orders corners tl, tr, br, bl and bounds them in the frame', () => {
    const [tl, tr, br, bl] = rectCorners({ cx: 10, cy: 10, w: 20, h: 4, angle: 0 });
    expect([tl, tr, br, bl]).toEqual([
      { x: 0, y: 8 },
      { x: 20, y: 8 },
      { x: 20, y: 12 },
      { x: 0, y: 12 },
    ]);
    expect(rectBounds({ cx: 10, cy: 10, w: 40, h: 4, angle: 0 }, 25, 25)).toEqual({
      x: 0,
      y: 8,
      w: 25,
      h: 4,
    });
  });

  it('convex hull drops inner points; iou of boxes', () => {
    expect(
      convexHull([
        { x: 0, y: 0 },
        { x: 2, y: 0 },
        { x: 1, y: 1 },
        { x: 2, y: 2 },
        { x: 0, y: 2 },
      ]),
    ).toHaveLength(4);
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 0, w: 10, h: 10 })).toBeCloseTo(50 / 150);
    expect(iou({ x: 0, y: 0, w: 1, h: 1 }, { x: 5, y: 5, w: 1, h: 1 })).toBe(0);
  });

  it('unclip grows a rectangle by the offset distance on every side', () => {
    const grown = minAreaRect(unclip(rectCorners({ cx: 50, cy: 50, w: 40, h: 10, angle: 0 }), 3));
    expect(grown.w).toBeCloseTo(46, 0);
    expect(grown.h).toBeCloseTo(16, 0);
  });
});

describe('DB post-processing', () => {
  it('turns a probability map into scored, unclipped boxes and drops weak ones', () => {
    const w = 100;
    const h = 60;
    const prob = new Float32Array(w * h);
    const fill = (x0: number, y0: number, x1: number, y1: number, p: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) prob[y * w + x] = p;
    };
    fill(10, 10, 50, 18, 0.9); // strong line 40x8
    fill(60, 40, 90, 46, 0.4); // weak line: above threshold, below box threshold
    const boxes = dbBoxes(prob, w, h, {
      threshold: 0.3,
      boxThreshold: 0.6,
      unclipRatio: 1.5,
      minSize: 3,
      maxBoxes: 10,
    });
    expect(boxes).toHaveLength(1);
    const b = boxes[0]!;
    expect(b.score).toBeCloseTo(0.9, 5);
    expect(b.rect.cx).toBeCloseTo(30, 0);
    expect(b.rect.cy).toBeCloseTo(14, 0);
    // distance = 40*8*1.5 / (2*48) = 5 on each side
    expect(b.rect.w).toBeCloseTo(50, 0);
    expect(b.rect.h).toBeCloseTo(18, 0);
  });

  it('sizes the detector input to multiples of 32 and only downscales unless asked', () => {
    expect(detInputSize(576, 432, 960, false)).toEqual({ w: 576, h: 448 });
    expect(detInputSize(1920, 1080, 960, false)).toEqual({ w: 960, h: 544 });
    expect(detInputSize(576, 432, 960, true)).toEqual({ w: 960, h: 736 });
  });
});

describe('text lines to plate regions', () => {
  const box = (cx: number, w: number) => ({ rect: { cx, cy: 50, w, h: 20, angle: 0 }, score: 0.9 });

  it('joins a plate split into two boxes on one line, and not distant boxes', () => {
    const regions = lineRegions([box(100, 60), box(170, 50), box(400, 60)]);
    const joined = regions.filter((r) => r.parts === 2);
    expect(joined).toHaveLength(1);
    expect(joined[0]!.rect.w).toBeCloseTo(125, 0); // 70..195
    expect(regions.filter((r) => r.parts === 1)).toHaveLength(3);
  });

  it('drops lines too small or too long to be a plate', () => {
    expect(lineRegions([{ rect: { cx: 50, cy: 50, w: 30, h: 5, angle: 0 }, score: 1 }])).toEqual([]);
    expect(lineRegions([{ rect: { cx: 500, cy: 50, w: 600, h: 20, angle: 0 }, score: 1 }])).toEqual([]);
  });

  it('grows a line to the plate around it', () => {
    expect(growToPlate({ cx: 10, cy: 10, w: 40, h: 10, angle: 0 }, 0.5, 1.5)).toEqual({
      cx: 10,
      cy: 10,
      w: 50,
      h: 15,
      angle: 0,
    });
  });
});
