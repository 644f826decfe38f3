import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectImageType, readImageSize } from '../image-header.ts';
import { jpegEnd } from '../replay/sources.ts';

describe('image headers', () => {
  it('reads the same dimensions as sharp for JPEG (baseline, progressive), PNG and WebP (lossy, lossless, alpha)', async () => {
    const base = sharp({
      create: { width: 123, height: 45, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } },
    });
    const variants: [string, Buffer][] = [
      ['jpeg', await base.clone().jpeg().toBuffer()],
      ['jpeg progressive', await base.clone().jpeg({ progressive: true }).toBuffer()],
      ['png', await base.clone().png().toBuffer()],
      ['webp lossy', await base.clone().removeAlpha().webp().toBuffer()],
      ['webp lossless', await base.clone().webp({ lossless: true }).toBuffer()],
      ['webp alpha (VP8X)', await base.clone().webp().toBuffer()],
    ];
    for (const [name, buf] of variants) {
      const mime = detectImageType(buf);
      expect(mime, name).toBeDefined();
      const meta = await sharp(buf).metadata();
      expect(readImageSize(buf, mime!), name).toEqual({ width: meta.width, height: meta.height });
    }
  });

  it('finds where each JPEG ends in a concatenated stream, also when split mid-frame', async () => {
    const a = await sharp({ create: { width: 40, height: 30, channels: 3, background: 'red' } })
      .jpeg()
      .toBuffer();
    const b = await sharp({ create: { width: 20, height: 10, channels: 3, background: 'blue' } })
      .jpeg({ progressive: true })
      .toBuffer();
    const stream = Buffer.concat([a, b]);
    expect(jpegEnd(stream)).toBe(a.length);
    expect(jpegEnd(stream.subarray(a.length))).toBe(b.length);
    expect(jpegEnd(a.subarray(0, a.length - 1))).toBe(-1);
  });
});
