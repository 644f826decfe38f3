import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { rectCorners } from '../geometry/quad.ts';
import { decodeRgb } from '../image/decode.ts';
import { warpToFloatChw, warpToUint8 } from '../image/warp.ts';

describe('decoding', () => {
  it('turns grey and RGBA images into packed RGB', async () => {
    const grey = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#808080' } })
      .greyscale()
      .png()
      .toBuffer();
    const g = await decodeRgb(grey, 'f-1');
    expect([g.width, g.height, g.data.length]).toEqual([20, 10, 600]);
    const rgba = await sharp({
      create: { width: 16, height: 12, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } },
    })
      .png()
      .toBuffer();
    const c = await decodeRgb(rgba, 'f-2');
    expect(c.data.length).toBe(16 * 12 * 3);
    expect(c.data[0]).toBe(255);
  });

  it('rejects truncated and empty input with IMAGE_INVALID naming the frame', async () => {
    const jpg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } })
      .jpeg()
      .toBuffer();
    await expect(decodeRgb(jpg.subarray(0, 40), 'frame-9')).rejects.toMatchObject({
      code: 'IMAGE_INVALID',
      message: expect.stringContaining('frame-9'),
    });
    await expect(decodeRgb(Buffer.alloc(0), 'frame-10')).rejects.toMatchObject({ code: 'IMAGE_INVALID' });
  });
});

describe('straightening crops', () => {
  // 40x20 image: left half black, right half white.
  const width = 40;
  const height = 20;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 20; x < 40; x++) data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  const img = { data, width, height };

  it('samples an upright box into uint8 NHWC', () => {
    const out = new Uint8Array(8 * 4 * 3);
    warpToUint8(img, rectCorners({ cx: 20, cy: 10, w: 40, h: 20, angle: 0 }), 8, 4, out, 0);
    expect(out[0]).toBe(0); // left column black
    expect(out[7 * 3]).toBe(255); // right column white
  });

  it('a box rotated by 180 degrees comes out mirrored, and outside pixels take the fill value', () => {
    const out = new Uint8Array(8 * 4 * 3);
    warpToUint8(img, rectCorners({ cx: 20, cy: 10, w: 40, h: 20, angle: Math.PI }), 8, 4, out, 0);
    expect(out[0]).toBe(255);
    expect(out[7 * 3]).toBe(0);
    const outside = new Uint8Array(3);
    warpToUint8(img, rectCorners({ cx: -50, cy: -50, w: 4, h: 4, angle: 0 }), 1, 1, outside, 0);
    expect([...outside]).toEqual([114, 114, 114]);
  });

  it('writes normalised float CHW planes', () => {
    const out = new Float32Array(3 * 2 * 4);
    warpToFloatChw(
      img,
      rectCorners({ cx: 20, cy: 10, w: 40, h: 20, angle: 0 }),
      4,
      2,
      out,
      0,
      4,
      8,
      0.5,
      0.5,
    );
    expect(out[0]).toBeCloseTo(-1);
    expect(out[3]).toBeCloseTo(1);
    expect(out[8 + 3]).toBeCloseTo(1); // green plane
  });
});
