import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recognizer } from '../../shared/recognizer.ts';
import { createOnnxRecognizer } from '../index.ts';
import { craftPlateJpeg } from './crafted.ts';

const frame = (id: string, img: Buffer, camera: string) => ({
  id,
  camera,
  ts: 0,
  mime: 'image/jpeg' as const,
  img,
});

/** LPR_CAMERA_ROI: detection on the region's crop only, plates outside it dropped, boxes in frame pixels. */
describe('per-camera region of interest (LPR_CAMERA_ROI)', () => {
  let r: Recognizer;
  beforeAll(async () => {
    r = await createOnnxRecognizer({
      ...process.env,
      LPR_RECOGNIZER_THREADS: '1',
      LPR_THREADS: '1',
      LPR_READER: 'ppocr',
      // The crafted plate sits at x 215-425, y 300-346 of a 640x480 frame.
      LPR_CAMERA_ROI: 'lower=0,240 640,240 640,480 0,480;upper=0,0,640,240',
    });
    await r.warmup();
  }, 60_000);
  afterAll(() => r.close());

  it('reads a plate inside the region with its box in frame coordinates, and ignores one outside', async () => {
    const { img, box } = await craftPlateJpeg({ text: 'KX58 PLT', sign: 'Parking Exit 3' });
    const whole = await r.recognize(frame('1-0', img, 'no-roi'));
    const inside = await r.recognize(frame('2-0', img, 'lower'));
    const outside = await r.recognize(frame('3-0', img, 'upper'));
    expect(whole.plate).toBe('KX58PLT');
    expect(inside.plate).toBe('KX58PLT');
    // Same place as without a region: the crop offset is added back.
    expect(Math.abs(inside.box!.x - whole.box!.x)).toBeLessThanOrEqual(2);
    expect(Math.abs(inside.box!.y - whole.box!.y)).toBeLessThanOrEqual(2);
    expect(inside.box!.y).toBeGreaterThanOrEqual(box.y - 20);
    expect(outside.plate).toBe('');
    expect(outside.candidates).toEqual([]);
  });

  it('reads only a given region of the frame (a predicted plate region), still inside the camera ROI', async () => {
    const { img } = await craftPlateJpeg({ text: 'KX58 PLT', sign: 'Parking Exit 3' });
    const whole = await r.recognize(frame('4-0', img, 'no-roi'));
    const b = whole.box!;
    const around = { x: b.x - 0.6 * b.w, y: b.y - 1.5 * b.h, w: 2.2 * b.w, h: 4 * b.h };
    const near = await r.recognize({ ...frame('5-0', img, 'no-roi'), region: around });
    expect(near.plate).toBe('KX58PLT');
    expect(Math.abs(near.box!.x - b.x)).toBeLessThanOrEqual(2);
    expect(Math.abs(near.box!.y - b.y)).toBeLessThanOrEqual(2);
    // A region where the plate is not: nothing, and no fallback to the whole frame.
    const away = await r.recognize({
      ...frame('6-0', img, 'no-roi'),
      region: { x: 0, y: 0, w: 200, h: 120 },
    });
    expect(away.plate).toBe('');
    // The camera's region of interest still applies: the plate lies outside camera "upper"'s.
    const outside = await r.recognize({ ...frame('7-0', img, 'upper'), region: around });
    expect(outside.plate).toBe('');
  });
});
