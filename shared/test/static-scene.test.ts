import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseCameraRois, parseRoi, roiBounds } from '../config/camera-roi.ts';
import { EnvReader } from '../config/env-reader.ts';
import {
  changedFraction,
  DEFAULT_STATIC_THRESHOLD,
  decodeReference,
  encodeReference,
  grey,
  imageSize,
  regionMask,
  thumbnail,
} from '../image/static-scene.ts';
import { scene } from './scenes.ts';

describe('static scene detection', () => {
  it('sees the same scene through sensor noise and a global change of light, and a vehicle as a change', async () => {
    const base = await thumbnail(await scene({ seed: 1 }));
    expect([base.width, base.height, base.frameWidth, base.frameHeight]).toEqual([96, 54, 1280, 720]);
    const noisy = await thumbnail(await scene({ seed: 2 }));
    const darker = await thumbnail(await scene({ seed: 3, light: -35 }));
    const car = await thumbnail(await scene({ seed: 4, car: { x: 500, y: 380, w: 260, h: 180 } }));
    expect(changedFraction(noisy, base)).toBeLessThan(DEFAULT_STATIC_THRESHOLD);
    expect(changedFraction(darker, base)).toBeLessThan(DEFAULT_STATIC_THRESHOLD);
    // 260x180 of 1280x720 is 5 % of the frame.
    expect(changedFraction(car, base)).toBeGreaterThan(0.03);
    // A different resolution is a different scene.
    const small = await thumbnail(await scene({ w: 640, h: 480 }));
    expect(changedFraction(small, base)).toBe(1);
  });

  it('compares only inside a region of interest when one is given', async () => {
    const base = await thumbnail(await scene({ seed: 1 }));
    const carTop = await thumbnail(await scene({ seed: 2, car: { x: 100, y: 20, w: 300, h: 160 } }));
    const roi = parseRoi('0,360,1280,360')!; // the lower half
    const mask = regionMask(base, base.frameWidth, roi)!;
    expect(mask.reduce((a, b) => a + b, 0)).toBe(96 * 27);
    expect(changedFraction(carTop, base)).toBeGreaterThan(DEFAULT_STATIC_THRESHOLD);
    expect(changedFraction(carTop, base, mask)).toBeLessThan(DEFAULT_STATIC_THRESHOLD);
  });

  it('reads a frame size from JPEG and PNG headers without decoding', async () => {
    expect(imageSize(await scene({ w: 1280, h: 720 }))).toEqual({ width: 1280, height: 720 });
    const png = await sharp({ create: { width: 33, height: 17, channels: 3, background: '#123' } })
      .png()
      .toBuffer();
    expect(imageSize(png)).toEqual({ width: 33, height: 17 });
    expect(imageSize(Buffer.from('GIF89a...'))).toBeUndefined();
  });

  it('makes the grey thumbnail from colour with Rec. 601 weights (77, 150, 29 of 256), and from grey and grey+alpha as it is', () => {
    const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 200, 200]);
    expect([...grey(rgb, 3)]).toEqual([77, 149, 29, 200]);
    expect([...grey(Buffer.from([10, 20, 30, 255, 40, 50, 60, 0]), 4)]).toEqual([18, 48]);
    expect([...grey(Buffer.from([7, 255, 9, 0]), 2)]).toEqual([7, 9]);
    const g = Buffer.from([1, 2, 3]);
    expect(grey(g, 1)).toBe(g);
  });

  it('stores a reference as bytes and refuses anything else', async () => {
    const t = await thumbnail(await scene());
    const buf = encodeReference(t, 1_700_000_000_123, t.frameWidth);
    const back = decodeReference(buf)!;
    expect([back.width, back.height, back.at, back.frameWidth]).toEqual([96, 54, 1_700_000_000_123, 1280]);
    expect(changedFraction(back, t)).toBe(0);
    expect(decodeReference(null)).toBeUndefined();
    expect(decodeReference(Buffer.from('not a reference'))).toBeUndefined();
    expect(decodeReference(buf.subarray(0, buf.length - 1))).toBeUndefined();
  });

  it('parses per-camera regions as polygons or rectangles, and reports every bad one', () => {
    const r = new EnvReader({});
    const rois = parseCameraRois(
      r,
      'LPR_CAMERA_ROI',
      'gate-1=0,400 1920,400 1920,1080 0,1080; gate-2=10,20,300,200',
    );
    expect(rois['gate-1']).toHaveLength(4);
    expect(rois['gate-2']).toEqual([
      [10, 20],
      [310, 20],
      [310, 220],
      [10, 220],
    ]);
    expect(roiBounds(rois['gate-1']!, 1280, 720)).toEqual({ x: 0, y: 400, w: 1280, h: 320 });
    parseCameraRois(r, 'LPR_CAMERA_ROI', 'gate-3=1,2 3,4;=1,2,3,4;gate-4=1,2,0,5');
    expect(() => r.finish()).toThrow(/LPR_CAMERA_ROI.*gate-3[\s\S]*=1,2,3,4[\s\S]*gate-4/);
  });
});
