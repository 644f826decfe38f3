import { describe, expect, it } from 'vitest';
import { COARSE_TO_FINE_DEFAULTS, coarseSide } from '../detect/coarse-to-fine.ts';
import { detInputSize, toChwTensorData } from '../detect/ppocr-det.ts';

describe('coarse side from the frame size and the smallest plate (LPR_PLATE_MIN_CHAR)', () => {
  const o = COARSE_TO_FINE_DEFAULTS;
  it('puts a character of 2 % of the shorter side at about 6 px of the coarse input', () => {
    // 6 / 0.02 = 300 px for the shorter side, a multiple of 32: 288.
    expect(coarseSide(1920, 1080, o)).toBe(512);
    expect(coarseSide(1280, 720, o)).toBe(512);
    expect(coarseSide(2048, 1536, o)).toBe(384);
    expect(detInputSize(1920, 1080, 512, false)).toEqual({ w: 512, h: 288 });
    const charPx = (w: number, h: number) => (0.02 * Math.min(w, h) * coarseSide(w, h, o)) / Math.max(w, h);
    for (const [w, h] of [
      [1920, 1080],
      [1280, 720],
      [2048, 1536],
      [1080, 1920],
    ] as const) {
      expect(charPx(w, h)).toBeGreaterThan(5.5);
      expect(charPx(w, h)).toBeLessThan(6.5);
    }
  });

  it('grows for smaller plates, never passes fineSize or goes under 320, and keeps a fixed side', () => {
    expect(coarseSide(1920, 1080, { ...o, minCharShare: 0.01 })).toBe(960);
    expect(coarseSide(1920, 1080, { ...o, minCharShare: 0.005 })).toBe(960);
    expect(coarseSide(1920, 1080, { ...o, minCharShare: 0.2 })).toBe(320);
    expect(coarseSide(1920, 1080, { ...o, coarseSize: 640 })).toBe(640);
  });
});

describe('detector input tensor', () => {
  it('normalises packed RGB into CHW planes with ImageNet mean and deviation', () => {
    const rgb = Uint8Array.from([0, 128, 255, 255, 0, 128]);
    const t = toChwTensorData(rgb, 2);
    const want = [
      (0 - 0.485) / 0.229,
      (1 - 0.485) / 0.229,
      (128 / 255 - 0.456) / 0.224,
      (0 - 0.456) / 0.224,
      (1 - 0.406) / 0.225,
      (128 / 255 - 0.406) / 0.225,
    ];
    for (const [i, v] of want.entries()) expect(t[i]).toBeCloseTo(v, 5);
  });
});
