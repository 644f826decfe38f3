import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isPlatestreamError } from '../../../shared/errors.ts';
import type { PlateBox } from '../../../shared/recognizer.ts';
import { matchesPattern } from '../patterns.ts';
import { PLATE_STYLES } from '../plate-styles.ts';
import { renderScene } from '../render.ts';

async function rgbPixels(jpeg: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function inside(b: PlateBox, x: number, y: number, pad: number): boolean {
  return x >= b.x - pad && x < b.x + b.w + pad && y >= b.y - pad && y < b.y + b.h + pad;
}

describe('renderScene', () => {
  it('is deterministic: same seed, same bytes; another seed, another image', async () => {
    const a = await renderScene({ seed: 1234 });
    const b = await renderScene({ seed: 1234 });
    const c = await renderScene({ seed: 1235 });
    expect(Buffer.compare(a.image, b.image)).toBe(0);
    expect(a.text).toBe(b.text);
    expect(a.box).toEqual(b.box);
    expect(Buffer.compare(a.image, c.image)).not.toBe(0);
  });

  it('writes a valid JPEG of the requested size with the plate box inside it', async () => {
    for (const [width, height, seed] of [
      [640, 480, 5],
      [800, 450, 6],
      [320, 240, 7],
    ] as const) {
      const r = await renderScene({ seed, width, height });
      expect(r.mime).toBe('image/jpeg');
      expect(r.image.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      const meta = await sharp(r.image).metadata();
      expect(meta).toMatchObject({ format: 'jpeg', width, height });
      expect([r.width, r.height]).toEqual([width, height]);
      const { x, y, w, h } = r.box;
      for (const v of [x, y, w, h]) expect(Number.isInteger(v)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + w).toBeLessThanOrEqual(width);
      expect(y + h).toBeLessThanOrEqual(height);
      // Plates are wider than tall and big enough to read.
      expect(w).toBeGreaterThan(h);
      expect(h).toBeGreaterThanOrEqual(12 * (height / 480));
    }
  });

  // The plate is the only difference between a scene and the same scene without its plate, so the pixels
  // that change must lie in the annotated box and fill most of it (lossless output; blur spills a little).
  it.each(PLATE_STYLES)('puts the box where the %s plate is drawn', async (style) => {
    for (const seed of [1, 2, 3]) {
      const opts = { seed: `${style}-${seed}`, style, format: 'png' as const };
      const withPlate = await renderScene(opts);
      const without = await renderScene({ ...opts, withoutPlate: true });
      expect(withPlate.mime).toBe('image/png');
      expect(without.text).toBe('');
      expect(without.box).toEqual(withPlate.box);
      const a = await rgbPixels(withPlate.image);
      const b = await rgbPixels(without.image);
      const box = withPlate.box;
      let x0 = a.width;
      let y0 = a.height;
      let x1 = -1;
      let y1 = -1;
      let changedIn = 0;
      let changedOut = 0;
      for (let y = 0; y < a.height; y++) {
        for (let x = 0; x < a.width; x++) {
          const i = (y * a.width + x) * 3;
          const d =
            Math.abs(a.data[i]! - b.data[i]!) +
            Math.abs(a.data[i + 1]! - b.data[i + 1]!) +
            Math.abs(a.data[i + 2]! - b.data[i + 2]!);
          if (d < 30) continue;
          if (inside(box, x, y, 2)) changedIn++;
          else changedOut++;
          x0 = Math.min(x0, x);
          y0 = Math.min(y0, y);
          x1 = Math.max(x1, x);
          y1 = Math.max(y1, y);
        }
      }
      expect(changedOut).toBe(0);
      expect(changedIn).toBeGreaterThan(box.w * box.h * 0.2);
      // The changed region fills the box (edges may match the car behind them, so allow some slack).
      const covered =
        (Math.min(x1 + 1, box.x + box.w) - Math.max(x0, box.x)) *
        (Math.min(y1 + 1, box.y + box.h) - Math.max(y0, box.y));
      expect(covered / (box.w * box.h)).toBeGreaterThan(0.8);
    }
  });

  it('keeps other text in the frame and off the plate', async () => {
    let seen = 0;
    for (let seed = 0; seed < 6; seed++) {
      const r = await renderScene({ seed, width: 480, height: 360 });
      for (const d of r.distractors) {
        seen++;
        expect(d.x >= 0 && d.y >= 0 && d.x + d.w <= r.width && d.y + d.h <= r.height).toBe(true);
        const apart =
          d.x >= r.box.x + r.box.w ||
          r.box.x >= d.x + d.w ||
          d.y >= r.box.y + r.box.h ||
          r.box.y >= d.y + d.h;
        expect(apart, `${JSON.stringify(d)} overlaps plate ${JSON.stringify(r.box)}`).toBe(true);
      }
    }
    expect(seen).toBeGreaterThan(3);
  });

  it('draws text from the given patterns, or the given text', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await renderScene({ seed, patterns: ['LLL 999', '99-LL-99'] });
      expect(matchesPattern(r.text, 'LLL999') || matchesPattern(r.text, '99LL99')).toBe(true);
    }
    const given = await renderScene({ seed: 4, text: 'M5-XSX', style: 'eu' });
    expect(given).toMatchObject({ text: 'M5XSX', display: 'M5-XSX', style: 'eu' });
  });

  it('reports every bad option at once', async () => {
    const err = await renderScene({
      seed: 1,
      width: 10,
      style: 'square' as never,
      patterns: ['LLX'],
      text: 'ab',
    }).catch((e: unknown) => e);
    expect(isPlatestreamError(err, 'CONFIG_INVALID')).toBe(true);
    const msg = (err as Error).message;
    for (const part of ['width', 'style "square"', 'pattern "LLX"', 'text "ab"']) expect(msg).toContain(part);
  });

  it('says when the plate cannot fit the image', async () => {
    const err = await renderScene({ seed: 1, width: 200, height: 150, charHeight: [60, 60] }).catch(
      (e: unknown) => e,
    );
    expect(isPlatestreamError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/does not fit a 200 x 150 image/);
  });
});
