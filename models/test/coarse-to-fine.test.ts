import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Quad } from '../geometry/quad.ts';
import type { Recognizer } from '../../shared/recognizer.ts';
import type { RgbImage } from '../image/decode.ts';
import { createOnnxRecognizer, type ReadResult, type TextReader } from '../index.ts';
import { renderScene } from '../synthetic/index.ts';

const frame = (id: string, img: Buffer) => ({ id, camera: 'cam', ts: 0, mime: 'image/jpeg' as const, img });
const overlapShare = (
  a: { x: number; y: number; w: number; h: number },
  b: { x: number; y: number; w: number; h: number },
) => {
  const w = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  return (w * h) / (b.w * b.h);
};

/** LPR_DET_COARSE_SIZE: HD frames detected coarse, every candidate line again at full resolution. */
describe('coarse-to-fine detection (LPR_DET_COARSE_SIZE)', () => {
  let single: Recognizer;
  let c2f: Recognizer;
  beforeAll(async () => {
    const env = { ...process.env, LPR_RECOGNIZER_THREADS: '1', LPR_THREADS: '1', LPR_READER: 'ppocr' };
    single = await createOnnxRecognizer(env);
    c2f = await createOnnxRecognizer({ ...env, LPR_DET_COARSE_SIZE: '640' });
    await Promise.all([single.warmup(), c2f.warmup()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([single.close(), c2f.close()]);
  });

  it('finds the plate of a 1080p frame where it is, and names the two sizes in the model id', async () => {
    const scene = await renderScene({
      seed: 'c2f-1',
      width: 1920,
      height: 1080,
      charHeight: [28, 34],
      distortion: 0.3,
    });
    const res = await c2f.recognize(frame('1-0', scene.image));
    expect(c2f.id).toMatch(/^ppocr-v4-det@640>960\+/);
    expect(res.width).toBe(1920);
    const best = res.candidates.find((c) => overlapShare(c.box, scene.box) > 0.5);
    expect(best, JSON.stringify({ truth: scene.box, got: res.candidates.map((c) => c.box) })).toBeDefined();
  });

  it('detects frames up to 1024 px in one pass, exactly as without it', async () => {
    const scene = await renderScene({ seed: 'c2f-2', width: 640, height: 480, distortion: 0.3 });
    const a = await single.recognize(frame('2-0', scene.image));
    const b = await c2f.recognize(frame('3-0', scene.image));
    expect(b.plate).toBe(a.plate);
    expect(b.candidates.map((c) => c.box)).toEqual(a.candidates.map((c) => c.box));
  });

  it('is the default: auto coarse side named in the model id', async () => {
    const d = await createOnnxRecognizer({
      ...process.env,
      LPR_READER: 'ppocr',
      LPR_DET_COARSE_SIZE: undefined,
    });
    try {
      expect(d.id).toMatch(/^ppocr-v4-det@auto2%>960\+/);
    } finally {
      await d.close();
    }
  });

  it('falls back to one pass at LPR_DET_SIZE when the coarse pass found no confident plate', async () => {
    // Characters of 22-26 px in 1080p: with LPR_PLATE_MIN_CHAR=0.2 the coarse input is 320 px wide (4 px
    // characters): the detector misses this plate there (it finds some others even so).
    const scene = await renderScene({ seed: 'c2f-4', width: 1920, height: 1080, charHeight: [22, 26] });
    const env = {
      ...process.env,
      LPR_RECOGNIZER_THREADS: '1',
      LPR_THREADS: '1',
      LPR_READER: 'ppocr',
      LPR_PLATE_MIN_CHAR: '0.2',
    };
    const withFallback = await createOnnxRecognizer(env);
    const without = await createOnnxRecognizer({ ...env, LPR_DET_FALLBACK_BELOW: '0' });
    try {
      const a = await withFallback.recognize(frame('4-0', scene.image));
      const b = await without.recognize(frame('4-1', scene.image));
      expect(a.timings['fallback.detect']).toBeTypeOf('number');
      expect(a.candidates.find((c) => overlapShare(c.box, scene.box) > 0.5)).toBeDefined();
      expect(b.timings['fallback.detect']).toBeUndefined();
      expect(b.candidates.find((c) => overlapShare(c.box, scene.box) > 0.5)).toBeUndefined();
    } finally {
      await Promise.all([withFallback.close(), without.close()]);
    }
  });
});

/** A plate reader that reads every crop as the same plate and counts the crops it was given per call. */
class CountingReader implements TextReader {
  readonly id = 'counting';
  readonly input = 'plate' as const;
  readonly calls: number[] = [];
  async read(_img: RgbImage, quads: readonly Quad[]): Promise<ReadResult[]> {
    this.calls.push(quads.length);
    return quads.map(() => ({
      text: 'AB123CD',
      chars: [...'AB123CD'].map((ch) => ({ ch, confidence: 0.9 })),
      confidence: 0.9,
    }));
  }
}

describe('plate crops per line (LPR_PLATE_CROPS_TOP)', () => {
  it('reads every line with the first crop and the other crops only for the best lines', async () => {
    const scene = await renderScene({ seed: 'crops-1', width: 640, height: 480 });
    const counts: Record<string, number[]> = {};
    for (const top of ['0', '1', '100']) {
      const reader = new CountingReader();
      const r = await createOnnxRecognizer(
        { ...process.env, LPR_RECOGNIZER_THREADS: '1', LPR_THREADS: '1', LPR_PLATE_CROPS_TOP: top },
        {},
        undefined,
        { reader },
      );
      try {
        await r.recognize(frame(`5-${top}`, scene.image));
      } finally {
        await r.close();
      }
      counts[top] = reader.calls;
    }
    const lines = counts['0']![0]!;
    expect(lines).toBeGreaterThan(1);
    expect(counts['0']).toEqual([lines]);
    // Three crops by default: two more for the best line, two more for every line.
    expect(counts['1']).toEqual([lines, 2]);
    expect(counts['100']).toEqual([lines, 2 * lines]);
  });
});
